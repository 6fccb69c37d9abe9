import type { ReversibleAggregator } from './aggregator.js';

/** Sum of the finite values (a gap adds nothing). Reversible. */
export const sum: ReversibleAggregator<number, number, number> = {
  name: 'sum',
  reversible: true,
  init: () => 0,
  update: (state, value) => (Number.isFinite(value) ? state + value : state),
  remove: (state, value) => (Number.isFinite(value) ? state - value : state),
  merge: (a, b) => a + b,
  finalize: (state) => state,
};
