import type { FlowClassifier } from '../inference/classifier.js';
import type { FlowBatch } from './flow-batch.js';
import { verdictsOf } from './verdicts-of.js';

/**
 * Where the scoring stage gets its model. It is asked once per micro-batch, so a model
 * promoted while the engine runs takes over between batches, never inside one.
 */
export interface ModelProvider {
  current(): FlowClassifier;
}

/** Scores a vectorized batch in one forward pass and turns each row into a Verdict. */
export function score(models: ModelProvider): (batch: FlowBatch) => FlowBatch {
  return (batch) => {
    const n = batch.accepted.length;
    if (n === 0 || !batch.vectors) return { ...batch, verdicts: [] };
    const model = models.current();
    const verdicts = verdictsOf(model, model.predictBatch(batch.vectors, n), batch.accepted);
    return { ...batch, verdicts };
  };
}
