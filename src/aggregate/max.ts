import type { CombineOnlyAggregator } from './aggregator.js';

/** Largest finite value; NaN while there is none. Combine-only, like `min`. */
export const max: CombineOnlyAggregator<number, number, number> = {
  name: 'max',
  reversible: false,
  init: () => Number.NaN,
  update: (state, value) => (Number.isFinite(value) && !(value <= state) ? value : state),
  merge: (a, b) => (Number.isNaN(a) || b > a ? b : a),
  finalize: (state) => state,
};
