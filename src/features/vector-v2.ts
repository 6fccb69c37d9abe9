import { InputError } from '../errors/vigil-error.js';
import type { FlowEvent } from '../events/flow-event.js';
import { FEATURE_MINS } from '../vector/sanitize.js';
import { flowVector } from '../vector/flow-vector.js';
import { FLOW_FEATURE_COUNT, FLOW_FEATURE_NAMES } from './flow-features.js';
import { featureLayout } from './registry.js';

/**
 * Feature version 2: 100 finite numbers. Dims 1-79 are v1's flow features, 80-100 the
 * feature groups (schemas/features-v2/*.json).
 *
 * The missing rule of dims 1-79 in v2. v1 carries a missing flow feature as NaN (its fitted
 * transform imputes it); v2 must be finite everywhere, so a missing value is written as
 *
 *   min_i - 1     (-1 for every flow feature, -2 for the two initial-window byte counts,
 *                  whose min is -1 because CICFlowMeter writes -1 there as a real value)
 *
 * Why this value and not 0: 0 is a real, common value (no bytes, no flags), so a gap written
 * as 0 would look like a measurement; below `min` lies outside every valid value, as the
 * groups' UNKNOWN = -1 does for 80-83. And v1's own rule reads any value below `min` as
 * missing, so projecting a v2 vector to v1 (registry.ts) restores NaN exactly: a v1 model
 * scores a projected v2 vector as it scores the v1 vector.
 *
 * Security events (auth, command, session) have no flow features: all 79 are missing by
 * v1's rule (a flow lacking every column), so they take the same values.
 */
export const V2_DIMS = featureLayout(2).dims;

/** The finite value v2 writes for a missing flow feature, by 0-based index: min - 1. */
export const V2_MISSING_FLOW_VALUES: Float64Array = Float64Array.from(FEATURE_MINS, (min) => min - 1);

/**
 * Where the destination port sits in a row of `dims` values, for the models' port indicators
 * (vector/transform.ts): known for flow v1 rows and for v2 rows, whose dims 1-79 are v1's;
 * -1 (no indicators) for any other layout.
 */
export function dstPortInput(dims: number): number {
  return dims === FLOW_FEATURE_COUNT || dims === V2_DIMS ? FLOW_FEATURE_NAMES.indexOf('dst_port') : -1;
}

/** Dims 80-100: how many values the groups and feature 100 add after the flow features. */
export const V2_EXTRA_DIMS = V2_DIMS - FLOW_FEATURE_COUNT;

/**
 * Writes dims 1-79 of a v2 vector into `out` from a v1 (sanitized, NaN = missing) flow
 * vector: finite values kept, missing ones set to min - 1.
 */
export function writeV2FlowPart(v1: ArrayLike<number>, out: Float64Array): void {
  if (v1.length !== FLOW_FEATURE_COUNT) throw new InputError(`writeV2FlowPart: a v1 vector has ${FLOW_FEATURE_COUNT} dims, got ${v1.length}`);
  for (let i = 0; i < FLOW_FEATURE_COUNT; i++) {
    const x = v1[i]!;
    out[i] = Number.isFinite(x) ? x : V2_MISSING_FLOW_VALUES[i]!;
  }
}

/** Dims 1-79 of a v2 vector for an event: a flow's sanitized features, or all missing (null). */
export function writeV2FlowFeatures(flow: FlowEvent | null, out: Float64Array): void {
  if (flow === null) out.set(V2_MISSING_FLOW_VALUES);
  else writeV2FlowPart(flowVector(flow), out);
}

/**
 * A stored v1 vector upgraded to v2: its 79 flow values under v2's missing rule, then the 21
 * values of features 80-100 from `recompute` (they cannot be derived from a v1 vector: replay
 * the event's history through a FeaturePipeline and take its last 21 values). Throws
 * InputError when `recompute` gives the wrong count or a non-finite value.
 */
export function upgradeV1Vector(v1: ArrayLike<number>, recompute: () => ArrayLike<number>): Float64Array {
  const out = new Float64Array(V2_DIMS);
  writeV2FlowPart(v1, out);
  const extra = recompute();
  if (extra.length !== V2_EXTRA_DIMS) throw new InputError(`upgradeV1Vector: recompute must give features 80-100 (${V2_EXTRA_DIMS} values), got ${extra.length}`);
  for (let i = 0; i < V2_EXTRA_DIMS; i++) {
    const x = extra[i]!;
    if (!Number.isFinite(x)) throw new InputError(`upgradeV1Vector: feature ${FLOW_FEATURE_COUNT + i + 1} recomputed as ${x}, not a finite number`);
    out[FLOW_FEATURE_COUNT + i] = x;
  }
  return out;
}
