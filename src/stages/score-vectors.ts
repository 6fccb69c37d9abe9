import { isSecurityEvent } from '../events/security-events.js';
import { vectorForModel } from '../features/registry.js';
import { V2_DIMS } from '../features/vector-v2.js';
import type { EventBatch } from './event-batch.js';
import type { ModelProvider } from './score.js';
import type { Prediction } from '../inference/classifier.js';
import { verdictsOf } from './verdicts-of.js';

/** A model that also reports how far its members agreed on each row (the ensemble). */
interface MemberAware {
  predictMembers(xRaw: Float32Array, n: number): Prediction & { agreement: Float32Array };
}

function isMemberAware(model: object): model is MemberAware {
  return typeof (model as Partial<MemberAware>).predictMembers === 'function';
}

/**
 * Scores the flows of a featurized batch in one forward pass: each v2 vector projected to
 * the layout the current model was trained on (a v1 model takes dims 1-79; a model is never
 * given a version it cannot take, vectorForModel throws). Security events are not flows and
 * get no verdict. An ensemble's member agreement becomes feature 100 of the scored vectors
 * (schemas/features-v2/ensemble.json); a single model leaves the pipeline's 1.
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
    const prediction = isMemberAware(model) ? model.predictMembers(x, flows.length) : model.predictBatch(x, flows.length);
    const scored = verdictsOf(model, prediction, flows.map((i) => batch.accepted[i]!));
    flows.forEach((i, row) => (verdicts[i] = scored[row]));
    if ('agreement' in prediction) {
      const agreement = prediction.agreement as Float32Array;
      flows.forEach((i, row) => (vectors[i * V2_DIMS + V2_DIMS - 1] = agreement[row]!));
    }
    return { ...batch, verdicts };
  };
}
