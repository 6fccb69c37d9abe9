import type { FlowEvent } from '../events/flow-event.js';
import { FLOW_FEATURE_COUNT, FLOW_FEATURE_NAMES } from '../features/flow-features.js';
import { FEATURE_MINS, sanitizeValue } from './sanitize.js';

/** Length of a version-1 flow vector. */
export const FLOW_VECTOR_DIMS = FLOW_FEATURE_COUNT;

// Resolved once: the per-event loop must not touch the schema.
const NAMES: readonly string[] = FLOW_FEATURE_NAMES.slice();

/**
 * The 79 raw feature values of `event` in layout order, sanitized (missing = NaN, see
 * sanitize.ts), written into `out` at `offset` (a fresh vector when `out` is omitted) so a
 * micro-batch can be filled into one flat matrix without per-event allocation.
 */
export function flowVector(event: FlowEvent, out?: Float32Array, offset = 0): Float32Array {
  const target = out ?? new Float32Array(FLOW_VECTOR_DIMS);
  if (offset < 0 || offset + FLOW_VECTOR_DIMS > target.length) {
    throw new RangeError(`flowVector: no room for ${FLOW_VECTOR_DIMS} values at offset ${offset} of ${target.length}`);
  }
  const features = event.features;
  for (let i = 0; i < FLOW_VECTOR_DIMS; i++) {
    target[offset + i] = sanitizeValue(features[NAMES[i]!], FEATURE_MINS[i]!);
  }
  return target;
}

/** The vectors of `events` as one flat row-major n×79 matrix. */
export function flowVectors(events: readonly FlowEvent[]): Float32Array {
  const out = new Float32Array(events.length * FLOW_VECTOR_DIMS);
  for (let r = 0; r < events.length; r++) flowVector(events[r]!, out, r * FLOW_VECTOR_DIMS);
  return out;
}
