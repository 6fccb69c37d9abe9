/**
 * ADASYN, ADAptive SYNthetic sampling (He, Bai, Garcia, Li, IJCNN 2008), as imbalanced-learn
 * does it: same options, strategies and output as SMOTE (smote.ts); only the origins differ.
 *
 * For a class that must gain G rows:
 *   1. for each of its rows i, r_i = share of its k nearest input rows of ALL classes (itself
 *      left out) that belong to another class: how deep it sits among other classes;
 *   2. row i is the origin of g_i synthetic rows, g_i ∝ r_i, split by largest remainder so
 *      that Σ g_i = G exactly (imbalanced-learn rounds each g_i and misses the target);
 *   3. each synthetic row interpolates, as in SMOTE, towards one of the k nearest rows of the
 *      SAME class.
 * Rows near the boundary thus get more synthetic neighbours than rows deep inside their class.
 *
 * Fallback: if every r_i of a class is 0 (no row of the class has another class among its
 * neighbours, e.g. a class far from all others), the weights say nothing and the class is
 * oversampled by SMOTE: uniformly chosen origins, drawn from the same random streams as
 * `smote` uses, so that class comes out exactly as `smote` would make it (imbalanced-learn
 * raises an error here instead). SMOTE's small-class fallbacks apply unchanged.
 */
import type { LabelledRows } from '../training/dataset.js';
import { buildNeighbourIndex, type NeighbourIndex } from './neighbours.js';
import { apportion } from './sampling-strategy.js';
import { balanceClasses, resolveBalanceOptions, type BalancedRows, type BalanceOptions, type OriginPlanner } from './smote.js';

/** Balances `data` with ADASYN; see the top of this file. */
export function adasyn(data: LabelledRows, options: BalanceOptions = {}): BalancedRows {
  const resolved = resolveBalanceOptions(options);
  return balanceClasses(data, resolved, adasynOrigins(data, resolved.k));
}

/**
 * The ADASYN origin planner: one index over all rows, built on first use (a balancing that
 * only undersamples never needs it).
 */
function adasynOrigins(data: LabelledRows, k: number): OriginPlanner {
  let everyRow: NeighbourIndex | undefined;
  return (c, classRows, toGenerate) => {
    const weights = otherClassShares(data, (everyRow ??= buildNeighbourIndex(data.x, data.dims)), c, classRows, k);
    if (!weights.some((w) => w > 0)) return undefined;
    const perRow = apportion(weights, toGenerate);
    const origins = new Int32Array(toGenerate);
    let s = 0;
    perRow.forEach((g, i) => {
      origins.fill(classRows[i]!, s, s + g);
      s += g;
    });
    return origins;
  };
}

/** For each row of class c, the share of its k nearest rows (any class) that are not of c. */
function otherClassShares(data: LabelledRows, index: NeighbourIndex, c: number, classRows: Int32Array, k: number): Float64Array {
  const kk = Math.min(k, index.size - 1);
  return Float64Array.from(classRows, (r) => {
    if (kk < 1) return 0;
    const near = index.neighboursOfRow(r, kk);
    let other = 0;
    for (const nb of near) if (data.y[nb] !== c) other++;
    return other / near.length;
  });
}
