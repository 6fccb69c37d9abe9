import type { FlowEvent } from '../../events/flow-event.js';

/**
 * What the threat-intelligence groups (80-84) read for one event: the flow, plus what an
 * enrichment stage or a label may add. Every extra field is optional; a group whose field is
 * absent applies its missing-value rule.
 */
export interface ThreatIntelInput {
  readonly flow: FlowEvent;
  /**
   * An external threat score in [0, 1] for this event from an enrichment stage (a SIEM, a
   * sandbox verdict). Feature 80.
   */
  readonly threatScore?: number | null;
  /**
   * The `threat_score` of a label of this event (schemas/label.avsc), when one is known at
   * scoring time. Feature 80 falls back to it when no enrichment score is given. Do not fill
   * it from the event's own label when building a training set: that copies the answer into
   * the features (target leakage).
   */
  readonly labelThreatScore?: number | null;
  /** The domain the flow resolved or requested (from DNS, SNI or HTTP Host enrichment). Feature 82. */
  readonly domain?: string | null;
}

/**
 * The value of a score-like feature (80-83) when nothing is known. It lies outside every
 * valid range ([0, 1] for scores, [0, +inf) for ages), so a model can tell "unknown" apart
 * from "known clean" (0); it stays finite, as every vector value must.
 */
export const UNKNOWN = -1;

/** Groups that read no state of their own keep this one. */
export type NoState = null;
