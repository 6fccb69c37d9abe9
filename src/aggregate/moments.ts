import type { ReversibleAggregator } from './aggregator.js';

/**
 * Count, sum and sum of squares of the finite values: the three partials that make mean,
 * variance and standard deviation mergeable and reversible (Feast's tiling keeps the same
 * three). All three merge by addition, so a store can fold them with a plain increment.
 */
export interface MomentsState {
  readonly count: number;
  readonly sum: number;
  readonly sumSq: number;
}

/** Population statistics (divided by n, as AfterImage and Chronon's variance do); NaN when empty. */
export interface MomentsOutput {
  readonly count: number;
  readonly mean: number;
  readonly variance: number;
  readonly std: number;
}

const EMPTY: MomentsState = Object.freeze({ count: 0, sum: 0, sumSq: 0 });

/**
 * Variance as E[x²] − E[x]². This loses precision when the spread is tiny next to the mean
 * (cancellation), which is the price of an incremental, subtractable state; it is clamped at
 * 0 so rounding never yields a negative variance or a NaN std.
 */
function finalizeMoments(state: MomentsState): MomentsOutput {
  if (state.count <= 0) return { count: 0, mean: Number.NaN, variance: Number.NaN, std: Number.NaN };
  const mean = state.sum / state.count;
  const variance = Math.max(0, state.sumSq / state.count - mean * mean);
  return { count: state.count, mean, variance, std: Math.sqrt(variance) };
}

export const moments: ReversibleAggregator<MomentsState, number, MomentsOutput> = {
  name: 'moments',
  reversible: true,
  init: () => EMPTY,
  update: (s, v) => (Number.isFinite(v) ? { count: s.count + 1, sum: s.sum + v, sumSq: s.sumSq + v * v } : s),
  remove: (s, v) => (Number.isFinite(v) ? { count: s.count - 1, sum: s.sum - v, sumSq: s.sumSq - v * v } : s),
  merge: (a, b) => ({ count: a.count + b.count, sum: a.sum + b.sum, sumSq: a.sumSq + b.sumSq }),
  finalize: finalizeMoments,
};
