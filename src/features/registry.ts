import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, ModelError } from '../errors/vigil-error.js';
import { SCHEMAS_DIR } from '../paths.js';
import { FEATURE_MINS, sanitizeValue } from '../vector/sanitize.js';
import type { FeatureSpec } from './feature-group.js';
import { FLOW_FEATURE_NAMES } from './flow-features.js';

/**
 * A versioned vector layout: which feature sits at which index. A model records the
 * version it was trained on and is only ever given vectors of that version, so adding
 * features means adding a version, never editing one.
 */
export interface FeatureLayout {
  version: number;
  name: string;
  dims: number;
  /** Feature names in vector order. */
  names: readonly string[];
}

/** The spec files of features 80-100, in schemas/features-v2/. */
export const V2_SPEC_FILES: readonly string[] = Object.freeze(['threat-intel.json', 'behavioral.json', 'graph.json', 'ensemble.json']);

/**
 * Features 80-100 from their specs, in number order. Checked at load: the numbers must be
 * exactly 80..100 (one spec each), so a spec file that loses or duplicates a feature fails
 * the process at start, naming the file set, instead of shifting every later slot.
 */
function loadV2Specs(): FeatureSpec[] {
  const specs = V2_SPEC_FILES.flatMap((file) => JSON.parse(readFileSync(join(SCHEMAS_DIR, 'features-v2', file), 'utf8')) as FeatureSpec[]);
  specs.sort((a, b) => a.number - b.number);
  const first = FLOW_FEATURE_NAMES.length + 1;
  specs.forEach((s, i) => {
    if (s.number !== first + i) {
      throw new ConfigError(`schemas/features-v2 (${V2_SPEC_FILES.join(', ')}): expected feature ${first + i} at position ${i}, found ${s.number} (${s.name})`);
    }
  });
  return specs;
}

/** The specs of features 80-100 (schemas/features-v2/*.json), in vector order. */
export const V2_FEATURE_SPECS: readonly FeatureSpec[] = Object.freeze(loadV2Specs());

const V2_NAMES: readonly string[] = Object.freeze([...FLOW_FEATURE_NAMES, ...V2_FEATURE_SPECS.map((s) => s.name)]);

const LAYOUTS: readonly FeatureLayout[] = [
  { version: 1, name: 'flow-v1', dims: FLOW_FEATURE_NAMES.length, names: FLOW_FEATURE_NAMES },
  // v1's 79 flow features first, unchanged, so a projection to v1 is a prefix (see below).
  { version: 2, name: 'security-v2', dims: V2_NAMES.length, names: V2_NAMES },
];

export const LATEST_FEATURE_VERSION = Math.max(...LAYOUTS.map((l) => l.version));

export function featureLayout(version: number): FeatureLayout {
  const layout = LAYOUTS.find((l) => l.version === version);
  if (!layout) {
    throw new ConfigError(`featureLayout: unknown feature version ${version}; known: ${LAYOUTS.map((l) => l.version).join(', ')}`);
  }
  return layout;
}

export function featureLayouts(): readonly FeatureLayout[] {
  return LAYOUTS;
}

/**
 * A migration of vectors from one layout to another that loses nothing the target layout
 * holds: a model of version `to` scores a projected vector exactly as it scores a vector
 * computed in its own version.
 */
export interface VectorProjection {
  readonly from: number;
  readonly to: number;
  project(vector: ArrayLike<number>): Float32Array;
}

/**
 * v2 -> v1: the first 79 dims, put through v1's missing rule again (vector/sanitize.ts).
 * Version 2 writes a missing flow feature as a finite value below the feature's `min`
 * (features/vector-v2.ts); v1's rule reads any value below `min` as missing (NaN), so the
 * projection gives back v1's vector bit for bit, NaN included.
 */
const V2_TO_V1: VectorProjection = {
  from: 2,
  to: 1,
  project(vector) {
    const dims = FLOW_FEATURE_NAMES.length;
    const out = new Float32Array(dims);
    for (let i = 0; i < dims; i++) out[i] = sanitizeValue(vector[i], FEATURE_MINS[i]!);
    return out;
  },
};

/**
 * v1 -> v1: v1's missing rule again. A v1 vector kept in the offline store is finite (the
 * store refuses NaN), its missing features written as min - 1 (stages/record-scored-vectors);
 * read back through this, they are missing (NaN) again, and a sanitized vector is unchanged.
 */
const V1_TO_V1: VectorProjection = { from: 1, to: 1, project: V2_TO_V1.project };

const PROJECTIONS: readonly VectorProjection[] = [V2_TO_V1, V1_TO_V1];

/** Whether a vector of version `from` can be given to a model of version `to`. */
export function canProject(from: number, to: number): boolean {
  return from === to || PROJECTIONS.some((p) => p.from === from && p.to === to);
}

/**
 * `vector` (of feature version `from`) in the layout of version `to`, as a new Float32Array.
 * The same version is a checked copy (for v1, with its missing rule re-applied). Throws ModelError when no projection exists (a v1
 * vector cannot feed a v2 model: features 80-100 must be recomputed from events, see
 * upgradeV1Vector) or when the vector's length is not its version's.
 */
export function projectVector(vector: ArrayLike<number>, from: number, to: number): Float32Array {
  const source = featureLayout(from);
  featureLayout(to);
  if (vector.length !== source.dims) {
    throw new ModelError(`projectVector: a version-${from} vector has ${source.dims} dims, got ${vector.length}`);
  }
  const projection = PROJECTIONS.find((p) => p.from === from && p.to === to);
  if (!projection && from === to) return Float32Array.from(vector);
  if (!projection) {
    const known = PROJECTIONS.map((p) => `${p.from} -> ${p.to}`).join(', ');
    throw new ModelError(`projectVector: no projection from feature version ${from} to ${to} (known: ${known}); recompute the vector in version ${to}`);
  }
  return projection.project(vector);
}

/**
 * The input a model trained on feature version `modelVersion` gets from a vector of
 * `vectorVersion`: the vector itself, or its projection; refused (ModelError) when the model
 * was not trained on that version and no projection exists.
 */
export function vectorForModel(vector: ArrayLike<number>, vectorVersion: number, model: { readonly featureVersion: number; readonly version?: string }): Float32Array {
  if (!canProject(vectorVersion, model.featureVersion)) {
    const name = model.version === undefined ? 'the model' : `model ${model.version}`;
    throw new ModelError(`${name} was trained on feature version ${model.featureVersion} and cannot score a version-${vectorVersion} vector: no projection ${vectorVersion} -> ${model.featureVersion}`);
  }
  return projectVector(vector, vectorVersion, model.featureVersion);
}
