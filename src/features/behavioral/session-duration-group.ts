import { dampedStats, moments } from '../../aggregate/index.js';
import type { DampedStatsState } from '../../aggregate/index.js';
import { ConfigError } from '../../errors/vigil-error.js';
import type { BehavioralEvent } from '../../events/security-events.js';
import { isSecurityEvent } from '../../events/security-events.js';
import type { FeatureGroup } from '../feature-group.js';
import type { DurationBaseline } from './sequence-model.js';

/**
 * Feature 93: the z-score of a closed session's duration against the source's own baseline,
 * with the global baseline as its prior.
 *
 * x = ln(1 + seconds) (durations are heavy-tailed: 0.07 s scans to 300 s shells). The
 * source's baseline is damped statistics of its earlier x (weight, Σw·x, Σw·x², halving every
 * `halfLifeMs`). The global baseline (mean μg, std σg of x over the training sessions, in the
 * model manifest) joins it as `priorWeight` pseudo-sessions, and the two are pooled the way
 * two samples' moments merge:
 *
 *   W = k + w,  μ = (k·μg + Σw·x) / W,  σ² = (k·(σg² + μg²) + Σw·x²) / W − μ²
 *   z = (x − μ) / max(σ, minStd),  clipped to ±maxAbsZ
 *
 * So a source's first session is scored against the global baseline alone, and the source's
 * own history takes over as it accumulates (at w = k they weigh the same). The session is
 * scored before it joins the baseline, so it never dampens its own score. `minStd` keeps a
 * source whose sessions all lasted the same from turning a tiny difference into a huge z.
 *
 * Only `closed` session events with a duration score; the value is then held until the next
 * one (the commands after a long session still carry its score). Before any: 0, a typical
 * duration. Flows leave it as it is.
 */
export interface SessionDurationOptions {
  /** The global baseline: mean and std of ln(1 + session seconds). */
  baseline: Pick<DurationBaseline, 'mean' | 'std'>;
  /** How fast a source's own history fades. */
  halfLifeMs?: number;
  /** The global baseline's weight, in sessions. */
  priorWeight?: number;
  minStd?: number;
  maxAbsZ?: number;
}

export const SESSION_DURATION_DEFAULTS = Object.freeze({ halfLifeMs: 24 * 3_600_000, priorWeight: 5, minStd: 0.1, maxAbsZ: 10 });

export interface SessionDurationState {
  readonly history: DampedStatsState;
  readonly z: number;
}

/** ln(1 + seconds): the scale durations are compared on. */
export const durationScale = (durationMs: number): number => Math.log1p(Math.max(0, durationMs) / 1000);

export function createSessionDurationGroup(options: SessionDurationOptions): FeatureGroup<SessionDurationState, BehavioralEvent> {
  const { baseline, halfLifeMs, priorWeight, minStd, maxAbsZ } = { ...SESSION_DURATION_DEFAULTS, ...options };
  if (!Number.isFinite(baseline?.mean) || !(baseline.std > 0)) throw new ConfigError(`createSessionDurationGroup: baseline needs a finite mean and a positive std, got ${JSON.stringify(baseline)}`);
  for (const [name, v] of Object.entries({ halfLifeMs, priorWeight, minStd, maxAbsZ })) {
    if (!(v > 0) || !Number.isFinite(v)) throw new ConfigError(`createSessionDurationGroup: ${name} must be a positive number, got ${v}`);
  }
  // λ = 1 per half-life: the weight of a session halves every halfLifeMs.
  const history = dampedStats({ lambda: 1, timeUnitMs: halfLifeMs });
  const prior = { count: priorWeight, sum: priorWeight * baseline.mean, sumSq: priorWeight * (baseline.std ** 2 + baseline.mean ** 2) };

  return {
    name: 'session_duration',
    slots: [93],
    scope: 'source',
    init: () => ({ history: history.init(), z: 0 }),
    step(state, event) {
      if (!isSecurityEvent(event) || event.kind !== 'session' || event.phase !== 'closed' || event.durationMs === null) return { state, values: [state.z] };
      const x = durationScale(event.durationMs);
      const own = history.decayTo(state.history, event.ts);
      const pooled = moments.finalize(moments.merge(prior, { count: own.weight, sum: own.linearSum, sumSq: own.squaredSum }));
      const z = Math.max(-maxAbsZ, Math.min(maxAbsZ, (x - pooled.mean) / Math.max(pooled.std, minStd)));
      return { state: { history: history.update(state.history, x, event.ts), z }, values: [z] };
    },
  };
}
