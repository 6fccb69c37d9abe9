import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMAS_DIR } from '../paths.js';

export interface FlowFeatureSpec {
  /** 1-based position in the vector: feature N sits at index N-1. */
  index: number;
  /** snake_case name, also the Avro field name. */
  name: string;
  /** Column name in the corrected CICIDS2017 / CICFlowMeter CSV. */
  cicflowmeter: string;
  /** Column name in the original 2017 CSV, or null where that release lacks it. */
  originalName: string | null;
  /** Lowest valid value; lower values are missing (see sanitize.ts). */
  min: number;
}

interface FlowFeatureDoc {
  layout: string;
  dims: number;
  features: FlowFeatureSpec[];
}

const doc = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'flow-features-v1.json'), 'utf8')) as FlowFeatureDoc;
if (doc.features.length !== doc.dims) {
  throw new Error(`schemas/flow-features-v1.json lists ${doc.features.length} features, expected ${doc.dims}`);
}

/** The 79 flow features of feature version 1, in vector order. */
export const FLOW_FEATURES: readonly FlowFeatureSpec[] = Object.freeze(doc.features);
export const FLOW_FEATURE_COUNT = FLOW_FEATURES.length;
export const FLOW_FEATURE_NAMES: readonly string[] = FLOW_FEATURES.map((f) => f.name);
