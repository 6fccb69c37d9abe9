import { THREAT_CLASSES, type ThreatClass } from '../events/threat-classes.js';
import type { Verdict } from '../events/verdict.js';
import type { Prediction } from '../inference/classifier.js';

/** One Verdict per scored row: row i of `prediction` is about `scored[i]`. */
export function verdictsOf(model: { readonly version: string; readonly featureVersion: number }, prediction: Prediction, scored: readonly { event: { eventId: string; srcIp: string; ts: number }; readAt: number }[]): Verdict[] {
  const scoredAt = Date.now();
  const now = performance.now();
  const k = THREAT_CLASSES.length;
  return scored.map(({ event, readAt }, i): Verdict => {
    const probabilities = {} as Record<ThreatClass, number>;
    THREAT_CLASSES.forEach((c, j) => (probabilities[c] = prediction.probs[i * k + j] ?? 0));
    return {
      eventKey: event.eventId,
      srcIp: event.srcIp,
      class: THREAT_CLASSES[prediction.predicted[i] ?? 0] ?? 'normal',
      probabilities,
      modelVersion: model.version,
      featureVersion: model.featureVersion,
      latencyMs: now - readAt,
      ts: event.ts,
      scoredAt,
    };
  });
}
