import type { LabeledFlows } from '../datasets/labeled-flows.js';
import { evaluatePredictions, type EvaluationReport } from '../evaluation/metrics.js';
import { loadFlowClassifier } from '../ensemble/load-flow-classifier.js';

/** Scores a saved model directory on labelled hold-out rows (as `vigil evaluate --json` does). */
export type ScoreHoldout = (modelDir: string, holdout: LabeledFlows) => Promise<EvaluationReport>;

/** The default ScoreHoldout: the flow classifier, in chunks so a large hold-out is not one tensor. */
export const scoreClassifierHoldout: ScoreHoldout = async (modelDir, holdout) => {
  const classifier = await loadFlowClassifier(modelDir, { featureVersions: [holdout.featureVersion], scoredBy: 'the hold-out rows are' });
  try {
    const predicted = new Int32Array(holdout.rows);
    const chunk = 2048;
    for (let start = 0; start < holdout.rows; start += chunk) {
      const n = Math.min(chunk, holdout.rows - start);
      predicted.set(classifier.predictBatch(holdout.x.subarray(start * holdout.dims, (start + n) * holdout.dims), n).predicted, start);
    }
    return evaluatePredictions(holdout.y, predicted, classifier.version);
  } finally {
    classifier.dispose();
  }
};
