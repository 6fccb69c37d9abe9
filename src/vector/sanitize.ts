import { FLOW_FEATURES } from '../features/flow-features.js';

/**
 * The missing-value rule of feature version 1, applied identically when training and when
 * scoring (every raw vector goes through it, whatever the source):
 *
 *   A feature value is **missing** when it is not a finite number (NaN, +Infinity, -Infinity,
 *   absent, or too large to be held as a 32-bit float) or when it is below that feature's
 *   `min` in schemas/flow-features-v1.json. `min` is 0 for every feature except the two
 *   initial-window byte counts, whose `min` is -1 because CICFlowMeter writes -1 there when
 *   no window was seen: -1 is a real value, not a gap.
 *
 * Missing values travel as NaN in raw vectors; the fitted transform (transform.ts) turns
 * them into the training mean (0 after standardisation), so a gap never pushes a flow
 * towards any class. Why a rule and not per-source fixes: the original 2017 CSVs write
 * `Infinity`/`NaN` into the rate columns and negative values where a counter overflowed,
 * and some layouts lack columns altogether; one rule covers all of them the same way.
 */
export function sanitizeValue(value: number | null | undefined, min: number): number {
  if (typeof value !== 'number') return Number.NaN;
  const f = Math.fround(value);
  return Number.isFinite(f) && value >= min ? f : Number.NaN;
}

export function isMissing(value: number | null | undefined, min: number): boolean {
  return Number.isNaN(sanitizeValue(value, min));
}

/** The `min` of every feature of version 1, in vector order. */
export const FEATURE_MINS: Float64Array = Float64Array.from(FLOW_FEATURES, (f) => f.min);

/**
 * Applies the rule in place to a flat row-major matrix whose rows are vectors of `mins.length`
 * features, for callers that filled a matrix straight from a file.
 */
export function sanitizeRows(x: Float32Array, mins: Float64Array = FEATURE_MINS): Float32Array {
  const dims = mins.length;
  if (x.length % dims !== 0) throw new RangeError(`matrix of ${x.length} values is not a whole number of ${dims}-dim rows`);
  for (let i = 0; i < x.length; i++) x[i] = sanitizeValue(x[i], mins[i % dims]!);
  return x;
}
