import { THREAT_CLASSES, type ThreatClass } from '../events/threat-classes.js';
import type { Verdict } from '../events/verdict.js';
import type { Classifier } from '../inference/classifier.js';
import type { FlowBatch } from './flow-batch.js';

/**
 * Where the scoring stage gets its model. It is asked once per micro-batch, so a model
 * promoted while the engine runs takes over between batches, never inside one.
 */
export interface ModelProvider {
  current(): Classifier;
}

/** Scores a vectorized batch in one forward pass and turns each row into a Verdict. */
export function score(models: ModelProvider): (batch: FlowBatch) => FlowBatch {
  return (batch) => {
    const n = batch.accepted.length;
    if (n === 0 || !batch.vectors) return { ...batch, verdicts: [] };
    const model = models.current();
    const { probs, predicted } = model.predictBatch(batch.vectors, n);
    const scoredAt = Date.now();
    const now = performance.now();
    const k = THREAT_CLASSES.length;
    const verdicts = batch.accepted.map(({ event, readAt }, i): Verdict => {
      const probabilities = {} as Record<ThreatClass, number>;
      THREAT_CLASSES.forEach((c, j) => (probabilities[c] = probs[i * k + j] ?? 0));
      return {
        eventKey: event.eventId,
        srcIp: event.srcIp,
        class: THREAT_CLASSES[predicted[i] ?? 0] ?? 'normal',
        probabilities,
        modelVersion: model.version,
        featureVersion: model.featureVersion,
        latencyMs: now - readAt,
        ts: event.ts,
        scoredAt,
      };
    });
    return { ...batch, verdicts };
  };
}
