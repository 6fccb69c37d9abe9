/**
 * The training set of the one-vs-rest specialist of attack class c, from transformed rows:
 *   - every normal row (the false alarms a specialist must not raise come from there);
 *   - at most `negativeCap` rows of each other attack class (random, seeded): enough of each
 *     to learn "not c", without the large classes drowning the rest;
 *   - class c brought to `positives` rows: oversampled with SMOTE or ADASYN (../learn/)
 *     when it has fewer, undersampled when it has more;
 * then labelled 1 (class c) or 0 (rest).
 */
import { THREAT_CLASSES, type ThreatClass } from '../events/threat-classes.js';
import { adasyn } from '../learn/adasyn.js';
import { smote } from '../learn/smote.js';
import type { LabelledRows } from '../training/dataset.js';

export type Oversampler = 'smote' | 'adasyn';

export interface SpecialistDataOptions {
  oversampler: Oversampler;
  /** Rows of class c after balancing. */
  positives: number;
  /** Most rows kept of each other attack class. */
  negativeCap: number;
  seed: number;
}

export interface SpecialistRows {
  x: Float32Array;
  /** 1 = class c, 0 = rest. */
  y: Int32Array;
  /** Rows of class c before balancing, and synthetic ones added. */
  original: number;
  synthetic: number;
}

/** `y` relabelled one-vs-rest: 1 where the class is `c`. */
export function oneVsRest(y: Int32Array, c: number): Int32Array {
  return Int32Array.from(y, (v) => (v === c ? 1 : 0));
}

export function specialistRows(data: LabelledRows, c: number, o: SpecialistDataOptions): SpecialistRows {
  const counts = new Array<number>(THREAT_CLASSES.length).fill(0);
  for (const v of data.y) counts[v]! += 1;
  const wanted: Partial<Record<ThreatClass, number>> = {};
  THREAT_CLASSES.forEach((name, j) => {
    if (j === c) wanted[name] = o.positives;
    else if (j !== 0) wanted[name] = Math.min(counts[j]!, o.negativeCap);
  });
  const balance = o.oversampler === 'adasyn' ? adasyn : smote;
  const balanced = balance(data, { strategy: { counts: wanted }, seed: o.seed });
  return { x: balanced.x, y: oneVsRest(balanced.y, c), original: counts[c]!, synthetic: balanced.generated[THREAT_CLASSES[c]!] };
}
