import { dampedStats, type DampedStatsState } from '../../aggregate/damped-stats.js';
import { ConfigError } from '../../errors/vigil-error.js';
import type { FeatureGroup } from '../feature-group.js';
import { emptyPMap, pmapGet, pmapSet, type PMap } from '../graph/persistent-map.js';
import { UNKNOWN, type ThreatIntelInput } from './threat-intel-input.js';

/**
 * Feature 83: the reputation of the source's autonomous system, learned online from
 * verdicts: the smoothed, time-decayed share of attack verdicts among the AS's sources,
 *
 *   reputation = (A + m·p₀) / (W + m),
 *
 * A the decayed count of attack verdicts, W the decayed count of all verdicts (the
 * `linearSum` and `weight` of the damped-stats aggregator over 1/0 attack flags, half-life
 * `halfLifeMs`), p₀ the prior share and m its weight in verdicts. An AS with no verdicts
 * scores p₀; evidence fades back to p₀ as it ages.
 *
 * Learning is separate from scoring: `observeVerdict(state, asn, isAttack, ts)` folds one
 * verdict in (pure, returns a new state) and `step` only reads. Feed it ground truth (labels)
 * or high-confidence verdicts: fed every verdict of the model itself, the feature reinforces
 * the model's own mistakes.
 *
 * Missing rule, UNKNOWN (−1): the source has no AS (private or special address, not in the
 * table, IPv6). Scope: global (one state keyed by AS). State: JSON data.
 */
export interface AsnReputationOptions {
  /** The AS of a public address (AsnTable.asnOf, from sharedAsnTable). */
  asnOf: (ip: string) => number | undefined;
  /** Time for a verdict's weight to halve. */
  halfLifeMs?: number;
  /** p₀: the share of attacks assumed before any verdict. */
  priorShare?: number;
  /** m: how many verdicts the prior is worth. */
  priorWeight?: number;
}

export const ASN_REPUTATION_DEFAULTS = Object.freeze({ halfLifeMs: 7 * 86_400_000, priorShare: 0.1, priorWeight: 10 });

export interface AsnReputationState {
  /** AS number (as text) → damped statistics of its attack flags. */
  readonly asns: PMap<DampedStatsState>;
}

export interface AsnReputationGroup extends FeatureGroup<AsnReputationState, ThreatIntelInput> {
  /** The state with one verdict about a source of `asn` folded in, at event time `ts`. */
  observeVerdict(state: AsnReputationState, asn: number, isAttack: boolean, ts: number): AsnReputationState;
  /** The same for a verdict about the source `ip`; unchanged if the address has no AS. */
  observeSourceVerdict(state: AsnReputationState, ip: string, isAttack: boolean, ts: number): AsnReputationState;
  /** The reputation of `asn` at time `ts`. */
  reputationOf(state: AsnReputationState, asn: number, ts: number): number;
}

const INITIAL: AsnReputationState = Object.freeze({ asns: emptyPMap<DampedStatsState>() });

export function asnReputationGroup(options: AsnReputationOptions): AsnReputationGroup {
  const { asnOf, halfLifeMs, priorShare, priorWeight } = { ...ASN_REPUTATION_DEFAULTS, ...options };
  if (!(priorShare >= 0 && priorShare <= 1)) throw new ConfigError(`asnReputationGroup: priorShare must be in [0, 1], got ${priorShare}`);
  if (!(priorWeight > 0)) throw new ConfigError(`asnReputationGroup: priorWeight must be positive, got ${priorWeight}`);
  // λ = 1 per half-life: dampedStats weighs an event 2^(−Δt/halfLife).
  const flags = dampedStats({ lambda: 1, timeUnitMs: halfLifeMs });

  function reputationOf(state: AsnReputationState, asn: number, ts: number): number {
    const seen = pmapGet(state.asns, String(asn));
    const s = seen === undefined ? flags.init() : flags.decayTo(seen, ts);
    return (s.linearSum + priorWeight * priorShare) / (s.weight + priorWeight);
  }

  function observeVerdict(state: AsnReputationState, asn: number, isAttack: boolean, ts: number): AsnReputationState {
    const key = String(asn);
    return { asns: pmapSet(state.asns, key, flags.update(pmapGet(state.asns, key) ?? flags.init(), isAttack ? 1 : 0, ts)) };
  }

  function observeSourceVerdict(state: AsnReputationState, ip: string, isAttack: boolean, ts: number): AsnReputationState {
    const asn = asnOf(ip);
    return asn === undefined ? state : observeVerdict(state, asn, isAttack, ts);
  }

  return {
    name: 'asn_reputation',
    slots: [83],
    scope: 'global',
    init: () => INITIAL,
    step(state, input) {
      const asn = asnOf(input.flow.srcIp);
      return { state, values: [asn === undefined ? UNKNOWN : reputationOf(state, asn, input.flow.ts)] };
    },
    observeVerdict,
    observeSourceVerdict,
    observe: (state, outcome) => observeSourceVerdict(state, outcome.srcIp, outcome.isAttack, outcome.ts),
    reputationOf,
  };
}
