import type { CombineOnlyAggregator } from './aggregator.js';

/**
 * Smallest finite value; NaN while there is none (the same gap marker the feature vector
 * uses). Combine-only: once the minimum leaves a window nothing says what the next one is.
 */
export const min: CombineOnlyAggregator<number, number, number> = {
  name: 'min',
  reversible: false,
  init: () => Number.NaN,
  update: (state, value) => (Number.isFinite(value) && !(value >= state) ? value : state),
  merge: (a, b) => (Number.isNaN(a) || b < a ? b : a),
  finalize: (state) => state,
};
