import { ConfigError } from '../errors/vigil-error.js';
import type { CombineOnlyAggregator } from './aggregator.js';
import { product } from './product.js';

/**
 * Damped incremental statistics, as the AfterImage feature extractor of Kitsune keeps them:
 * Mirsky, Doitshman, Elovici, Shabtai, "Kitsune: An Ensemble of Autoencoders for Online Network
 * Intrusion Detection", NDSS 2018, section IV-B.
 *
 * The state is (w, LS, SS, t): the decayed weight, linear sum and squared sum of the values,
 * as of time t. An event older by Δt weighs d(Δt) = 2^(−λ·Δt), Δt in `timeUnitMs` (seconds in
 * the paper), so after any sequence of updates, for the latest event time T:
 *
 *   w = Σ d(T − tᵢ),  LS = Σ d(T − tᵢ)·xᵢ,  SS = Σ d(T − tᵢ)·xᵢ²
 *
 * and mean = LS/w, variance = SS/w − mean². The decay is applied lazily:
 *
 * 1. An event at t ≥ T first decays the state by d(t − T), then adds (1, x, x²); T becomes t.
 * 2. An event at t < T (out of order) is added already decayed, as d(T − t)·(1, x, x²), and T
 *    stays. Kitsune adds such an event undecayed; decaying it keeps the closed form exact for
 *    any arrival order, and is what makes `merge` exact.
 * 3. `merge` decays both states to the later of their two times and adds them.
 *
 * Only the one-dimensional statistics are here; Kitsune's two-stream ones (magnitude, radius,
 * covariance, correlation) would build on this state. Combine-only.
 */
export interface DampedStatsOptions {
  /** Decay rate λ, per `timeUnitMs`: the weight of an event halves every 1/λ units. */
  lambda: number;
  /** The unit of time λ is given in; Kitsune's λ are per second. */
  timeUnitMs?: number;
}

export const DAMPED_STATS_DEFAULTS = Object.freeze({ timeUnitMs: 1000 });

/** Kitsune's five decay rates, per second (its half-lives span 0.2 s to 100 s). */
export const KITSUNE_LAMBDAS: readonly number[] = Object.freeze([5, 3, 1, 0.1, 0.01]);

export interface DampedStatsState {
  readonly weight: number;
  readonly linearSum: number;
  readonly squaredSum: number;
  /** The event time the sums are decayed to; meaningless while `weight` is 0. */
  readonly ts: number;
}

export interface DampedStatsOutput {
  /** Decayed weight as of `ts`: the effective number of recent events. */
  readonly weight: number;
  readonly mean: number;
  readonly variance: number;
  readonly std: number;
  readonly ts: number;
}

const EMPTY: DampedStatsState = Object.freeze({ weight: 0, linearSum: 0, squaredSum: 0, ts: 0 });

export interface DampedStatsAggregator extends CombineOnlyAggregator<DampedStatsState, number, DampedStatsOutput> {
  /**
   * The state decayed to a later time `ts` (unchanged if `ts` is not later): a reader that
   * wants the weight as of now, not as of the last event, calls this before `finalize`.
   */
  decayTo(state: DampedStatsState, ts: number): DampedStatsState;
}

export function dampedStats(options: DampedStatsOptions): DampedStatsAggregator {
  const { lambda, timeUnitMs } = { ...DAMPED_STATS_DEFAULTS, ...options };
  if (!(lambda > 0) || !Number.isFinite(lambda)) throw new ConfigError(`dampedStats: lambda must be a positive number, got ${lambda}`);
  if (!(timeUnitMs > 0)) throw new ConfigError(`dampedStats: timeUnitMs must be positive, got ${timeUnitMs}`);
  const rate = lambda / timeUnitMs;
  const decay = (dtMs: number): number => 2 ** (-rate * dtMs);

  function scaled(s: DampedStatsState, f: number, ts: number): DampedStatsState {
    return { weight: s.weight * f, linearSum: s.linearSum * f, squaredSum: s.squaredSum * f, ts };
  }

  function decayTo(s: DampedStatsState, ts: number): DampedStatsState {
    return s.weight === 0 || !(ts > s.ts) ? s : scaled(s, decay(ts - s.ts), ts);
  }

  return {
    name: `damped_stats_${lambda}`,
    reversible: false,
    init: () => EMPTY,
    update(s, x, ts) {
      if (!Number.isFinite(x)) return s;
      if (s.weight === 0) return { weight: 1, linearSum: x, squaredSum: x * x, ts };
      if (ts >= s.ts) {
        const f = decay(ts - s.ts);
        return { weight: s.weight * f + 1, linearSum: s.linearSum * f + x, squaredSum: s.squaredSum * f + x * x, ts };
      }
      const g = decay(s.ts - ts);
      return { weight: s.weight + g, linearSum: s.linearSum + g * x, squaredSum: s.squaredSum + g * x * x, ts: s.ts };
    },
    merge(a, b) {
      if (a.weight === 0) return b;
      if (b.weight === 0) return a;
      const ts = Math.max(a.ts, b.ts);
      const x = decayTo(a, ts);
      const y = decayTo(b, ts);
      return { weight: x.weight + y.weight, linearSum: x.linearSum + y.linearSum, squaredSum: x.squaredSum + y.squaredSum, ts };
    },
    finalize(s) {
      if (s.weight === 0) return { weight: 0, mean: Number.NaN, variance: Number.NaN, std: Number.NaN, ts: s.ts };
      const mean = s.linearSum / s.weight;
      // Clamped at 0: rounding in SS/w − mean² must not yield a NaN std (Kitsune takes |·|).
      const variance = Math.max(0, s.squaredSum / s.weight - mean * mean);
      return { weight: s.weight, mean, variance, std: Math.sqrt(variance), ts: s.ts };
    },
    decayTo,
  };
}

/**
 * Damped statistics at several decay rates at once, keyed `lambda_<λ>` (`lambda_0.1`), as
 * AfterImage keeps one set per λ for the same stream.
 */
export function dampedStatsAcross(lambdas: readonly number[] = KITSUNE_LAMBDAS, timeUnitMs = DAMPED_STATS_DEFAULTS.timeUnitMs) {
  if (lambdas.length === 0 || new Set(lambdas).size !== lambdas.length) {
    throw new ConfigError(`dampedStatsAcross: lambdas must be a non-empty list without repeats, got [${lambdas.join(', ')}]`);
  }
  return product(Object.fromEntries(lambdas.map((lambda) => [`lambda_${lambda}`, dampedStats({ lambda, timeUnitMs })])));
}
