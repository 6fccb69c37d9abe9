import type { TimedValue } from './aggregator.js';
import type { DampedStatsOutput } from './damped-stats.js';
import type { LastSeenState } from './last-seen.js';
import type { MomentsOutput } from './moments.js';

/**
 * Brute-force references for the aggregators (Chronon's NaiveAggregator): each recomputes its
 * result from the whole raw list, by the textbook definition and sharing no code with the
 * incremental path, so tests on generated data can check one against the other.
 */

const finiteValues = (events: readonly TimedValue<number>[]) => events.map((e) => e.value).filter(Number.isFinite);

export function naiveCount(events: readonly TimedValue<unknown>[]): number {
  return events.length;
}

export function naiveSum(events: readonly TimedValue<number>[]): number {
  return finiteValues(events).reduce((a, v) => a + v, 0);
}

/** Two-pass population variance: the mean first, then the mean squared deviation from it. */
export function naiveMoments(events: readonly TimedValue<number>[]): MomentsOutput {
  const xs = finiteValues(events);
  if (xs.length === 0) return { count: 0, mean: Number.NaN, variance: Number.NaN, std: Number.NaN };
  const mean = xs.reduce((a, v) => a + v, 0) / xs.length;
  const variance = xs.reduce((a, v) => a + (v - mean) ** 2, 0) / xs.length;
  return { count: xs.length, mean, variance, std: Math.sqrt(variance) };
}

export function naiveMin(events: readonly TimedValue<number>[]): number {
  const xs = finiteValues(events);
  return xs.length === 0 ? Number.NaN : Math.min(...xs);
}

export function naiveMax(events: readonly TimedValue<number>[]): number {
  const xs = finiteValues(events);
  return xs.length === 0 ? Number.NaN : Math.max(...xs);
}

/** The event with the greatest time; of several, the one listed last. */
export function naiveLastSeen<V>(events: readonly TimedValue<V>[]): LastSeenState<V> {
  let best: TimedValue<V> | undefined;
  for (const e of events) if (best === undefined || e.ts >= best.ts) best = e;
  return best && { ts: best.ts, value: best.value };
}

export function naiveDistinctCount(events: readonly TimedValue<string | number>[]): number {
  return new Set(events.map((e) => String(e.value))).size;
}

/**
 * AfterImage's statistics in closed form at the latest event time T: each finite value
 * weighs 2^(−λ·(T − t)/timeUnitMs).
 */
export function naiveDampedStats(events: readonly TimedValue<number>[], lambda: number, timeUnitMs = 1000): DampedStatsOutput {
  const kept = events.filter((e) => Number.isFinite(e.value));
  if (kept.length === 0) return { weight: 0, mean: Number.NaN, variance: Number.NaN, std: Number.NaN, ts: 0 };
  const T = Math.max(...kept.map((e) => e.ts));
  const weights = kept.map((e) => Math.pow(2, (-lambda * (T - e.ts)) / timeUnitMs));
  const weight = weights.reduce((a, w) => a + w, 0);
  const mean = kept.reduce((a, e, i) => a + weights[i]! * e.value, 0) / weight;
  const variance = kept.reduce((a, e, i) => a + weights[i]! * (e.value - mean) ** 2, 0) / weight;
  return { weight, mean, variance, std: Math.sqrt(variance), ts: T };
}

/**
 * The events the window of `lengthMs` on `tileMs` tiles read at `at` covers, by the rule of
 * window-spec.ts restated: times in [end − lengthMs, end), end the close of the tile holding `at`.
 */
export function naiveWindowEvents<I>(events: readonly TimedValue<I>[], lengthMs: number, tileMs: number, at: number): TimedValue<I>[] {
  const end = (Math.floor(at / tileMs) + 1) * tileMs;
  return events.filter((e) => e.ts >= end - lengthMs && e.ts < end);
}
