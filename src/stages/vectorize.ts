import { FLOW_FEATURE_COUNT } from '../features/flow-features.js';
import { flowVector } from '../vector/flow-vector.js';
import type { FlowBatch } from './flow-batch.js';

/** Feature version 1: each event's 79 sanitized flow features, one flat buffer per batch. */
export function vectorize(batch: FlowBatch): FlowBatch {
  const vectors = new Float32Array(batch.accepted.length * FLOW_FEATURE_COUNT);
  batch.accepted.forEach((a, i) => flowVector(a.event, vectors, i * FLOW_FEATURE_COUNT));
  return { ...batch, vectors };
}
