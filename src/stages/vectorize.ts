import type { LoadFlowClassifierOptions } from '../ensemble/load-flow-classifier.js';
import { FLOW_FEATURE_COUNT } from '../features/flow-features.js';
import { flowVector } from '../vector/flow-vector.js';
import type { FlowBatch } from './flow-batch.js';

/** Feature version 1: each event's 79 sanitized flow features, one flat buffer per batch. */
export function vectorize(batch: FlowBatch): FlowBatch {
  const vectors = new Float32Array(batch.accepted.length * FLOW_FEATURE_COUNT);
  batch.accepted.forEach((a, i) => flowVector(a.event, vectors, i * FLOW_FEATURE_COUNT));
  return { ...batch, vectors };
}

/**
 * The models a topology scoring vectorize's output can serve: feature version 1 only. A
 * version-2 model needs each source's state (features 80-100), which the features topology
 * keeps: `vigil detect` runs such a model through it; `vigil serve` does not (yet).
 */
export const VECTORIZED_MODELS: LoadFlowClassifierOptions = Object.freeze({
  featureVersions: [1],
  scoredBy: 'vigil serve (the detect topology) gives',
  instead: 'score it with `vigil detect` or `vigil features --model`, which keep each source\'s state',
});
