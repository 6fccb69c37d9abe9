/**
 * Balancing for the retrainer: SMOTE (learn/smote.ts) needs standardised rows, but the
 * candidate trainer fits its own transform on raw rows, so synthetic rows are made in a
 * standardised space and mapped back to raw values:
 *
 *   1. fit the flow transform without port indicators (signed log1p, then standardise; a
 *      missing value becomes the column mean) on the rows to balance;
 *   2. SMOTE, asking only for classes below `minClassRows` to grow to it (never past the
 *      largest class), so no class is undersampled and the input rows stay as they are;
 *   3. map each synthetic row back: z·std + mean, then the inverse of signed log1p.
 * The output is the input rows untouched, then the synthetic ones. Deterministic in `seed`.
 * Class weights in the trainer still even out what is left; this only gives classes of a
 * handful of rows (web attacks, intrusions) enough neighbours to learn a region from.
 */
import { THREAT_CLASSES, type ThreatClass } from '../events/threat-classes.js';
import { smote } from '../learn/smote.js';
import { rowCount, type LabelledRows } from '../training/dataset.js';
import { applyTransform, fitTransform } from '../vector/transform.js';

export interface RawBalanceOptions {
  /** Classes with fewer rows (but at least one) are oversampled up to this many. */
  minClassRows: number;
  seed: number;
  /** SMOTE's neighbours. */
  k?: number;
}

export interface RawBalanced {
  rows: LabelledRows;
  generated: Record<ThreatClass, number>;
}

const inverseSignedLog1p = (e: number): number => (e < 0 ? -Math.expm1(-e) : Math.expm1(e));

/** Rows per class to ask SMOTE for: only the small classes, capped at the largest class. */
export function balanceTargets(y: Int32Array, minClassRows: number): Partial<Record<ThreatClass, number>> {
  const counts = new Array<number>(THREAT_CLASSES.length).fill(0);
  for (const c of y) counts[c]! += 1;
  const cap = Math.max(0, ...counts);
  const targets: Partial<Record<ThreatClass, number>> = {};
  THREAT_CLASSES.forEach((c, i) => {
    const n = counts[i]!;
    if (n > 0 && n < minClassRows) targets[c] = Math.min(minClassRows, cap);
  });
  return targets;
}

export function balanceRawRows(data: LabelledRows, options: RawBalanceOptions): RawBalanced {
  const n = rowCount(data);
  const none = Object.fromEntries(THREAT_CLASSES.map((c) => [c, 0])) as Record<ThreatClass, number>;
  const counts = balanceTargets(data.y, options.minClassRows);
  if (Object.keys(counts).length === 0 || n === 0) return { rows: data, generated: none };
  const { dims } = data;
  const params = fitTransform(data.x, dims, { portIndex: -1 });
  const xT = applyTransform(params, data.x);
  const balanced = smote({ x: xT, y: data.y, dims }, { strategy: { counts }, seed: options.seed, ...(options.k === undefined ? {} : { k: options.k }) });
  const removed = Object.values(balanced.removed).reduce((a, b) => a + b, 0);
  if (removed !== 0) throw new RangeError(`balanceRawRows: SMOTE removed ${removed} rows; only growth was asked for`);
  const total = balanced.y.length;
  const x = new Float32Array(total * dims);
  x.set(data.x.subarray(0, n * dims));
  for (let r = n; r < total; r++) {
    for (let j = 0; j < dims; j++) {
      const z = balanced.x[r * dims + j]!;
      x[r * dims + j] = inverseSignedLog1p(z * params.std[j]! + params.mean[j]!);
    }
  }
  return { rows: { x, y: balanced.y, dims }, generated: balanced.generated };
}
