import type { FeatureGroup } from '../feature-group.js';
import { UNKNOWN, type NoState, type ThreatIntelInput } from './threat-intel-input.js';

/**
 * Feature 80: the external threat score of the event, in [0, 1]: the enrichment's
 * `threatScore` if it gives a valid one, else the label's `labelThreatScore`, else
 * UNKNOWN (−1). A score outside [0, 1] or not finite is treated as absent, not clamped: it
 * means the producer uses another scale, and guessing it would invent a value.
 * Stateless (scope source, state null).
 */
export function externalThreatScoreGroup(): FeatureGroup<NoState, ThreatIntelInput> {
  return {
    name: 'external_threat_score',
    slots: [80],
    scope: 'source',
    init: () => null,
    step(state, input) {
      const score = validScore(input.threatScore) ?? validScore(input.labelThreatScore) ?? UNKNOWN;
      return { state, values: [score] };
    },
  };
}

function validScore(value: number | null | undefined): number | undefined {
  return typeof value === 'number' && value >= 0 && value <= 1 ? value : undefined;
}
