import type { ReversibleAggregator } from './aggregator.js';

/** Number of events, whatever their value (a NaN value still is an event). Reversible. */
export const count: ReversibleAggregator<number, unknown, number> = {
  name: 'count',
  reversible: true,
  init: () => 0,
  update: (state) => state + 1,
  remove: (state) => state - 1,
  merge: (a, b) => a + b,
  finalize: (state) => state,
};
