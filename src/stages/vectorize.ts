import type { LoadFlowClassifierOptions } from '../ensemble/load-flow-classifier.js';
import { FLOW_FEATURE_COUNT } from '../features/flow-features.js';
import { flowVector } from '../vector/flow-vector.js';
import type { FlowBatch } from './flow-batch.js';

/** What vectorize computes, and so the only feature version the detect topology can score. */
const FEATURE_VERSION_OF_VECTORIZE = 1;

/** Feature version 1: each event's 79 sanitized flow features, one flat buffer per batch. */
export function vectorize(batch: FlowBatch): FlowBatch {
  const vectors = new Float32Array(batch.accepted.length * FLOW_FEATURE_COUNT);
  batch.accepted.forEach((a, i) => flowVector(a.event, vectors, i * FLOW_FEATURE_COUNT));
  return { ...batch, vectors };
}

/** Whether a model of `featureVersion` needs the feature pipeline (the features topology) to be scored. */
export function needsFeaturePipeline(featureVersion: number): boolean {
  return featureVersion !== FEATURE_VERSION_OF_VECTORIZE;
}

/**
 * The models a topology scoring vectorize's output can serve: feature version 1 only. A
 * version-2 model needs each source's state (features 80-100), which the features topology
 * keeps: `vigil detect` and `vigil serve` run such a model through it (a serve decides at
 * start, so one that started on the detect topology refuses a later CURRENT of version 2).
 */
export const VECTORIZED_MODELS: LoadFlowClassifierOptions = Object.freeze({
  featureVersions: [FEATURE_VERSION_OF_VECTORIZE],
  scoredBy: 'vigil serve on the detect topology gives',
  instead: 'serve it with --feature-pipeline, or restart serve (a serve whose first model takes version 2 runs the features topology)',
});
