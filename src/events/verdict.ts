import type { ThreatClass } from './threat-classes.js';

/** What the detector decided about one event; the shape of schemas/verdict.avsc. */
export interface Verdict {
  eventKey: string;
  srcIp: string;
  class: ThreatClass;
  probabilities: Record<ThreatClass, number>;
  modelVersion: string;
  featureVersion: number;
  latencyMs: number;
  ts: number;
  scoredAt: number;
}
