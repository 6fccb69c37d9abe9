import { isSecurityEvent } from '../events/security-events.js';
import { vectorForModel } from '../features/registry.js';
import { V2_DIMS } from '../features/vector-v2.js';
import type { EventBatch } from './event-batch.js';
import type { ModelProvider } from './score.js';
import { verdictsOf } from './verdicts-of.js';

/**
 * Scores the flows of a featurized batch in one forward pass: each v2 vector projected to
 * the layout the current model was trained on (a v1 model takes dims 1-79; a model is never
 * given a version it cannot take, vectorForModel throws). Security events are not flows and
 * get no verdict.
 */
export function scoreVectors(models: ModelProvider): (batch: EventBatch) => EventBatch {
  return (batch) => {
    const vectors = batch.vectors ?? new Float64Array(0);
    const flows = batch.accepted.flatMap((a, i) => (isSecurityEvent(a.event) ? [] : [i]));
    const verdicts: EventBatch['verdicts'] = new Array(batch.accepted.length).fill(undefined);
    if (flows.length === 0) return { ...batch, verdicts };
    const model = models.current();
    const x = new Float32Array(flows.length * model.dims);
    flows.forEach((i, row) => x.set(vectorForModel(vectors.subarray(i * V2_DIMS, (i + 1) * V2_DIMS), 2, model), row * model.dims));
    const scored = verdictsOf(model, model.predictBatch(x, flows.length), flows.map((i) => batch.accepted[i]!));
    flows.forEach((i, row) => (verdicts[i] = scored[row]));
    return { ...batch, verdicts };
  };
}
