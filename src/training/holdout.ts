export interface HoldoutSplit {
  /** Row indices that stay for training, ascending. */
  train: Int32Array;
  /** Row indices held out, ascending. */
  holdout: Int32Array;
}

/**
 * Per class, the latest `fraction` of that class's rows by time (rounded, ties broken by row
 * order) go to the hold-out. Per class and not one global time cut, because each attack of
 * CICIDS2017 ran on a single day: a global cut would leave whole classes out of training or
 * out of the test. Taking the latest rows keeps the test honest about drift (the model never
 * sees the future of a class). A class with at least 2 rows keeps at least one row on each
 * side; a class with a single row stays in training. A non-finite time counts as the oldest.
 */
export function timeOrderedHoldout(ts: Float64Array, y: Int32Array, fraction: number): HoldoutSplit {
  if (ts.length !== y.length) throw new RangeError(`${ts.length} timestamps but ${y.length} labels`);
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`hold-out fraction must be in (0, 1), got ${fraction}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < y.length; i++) {
    const rows = byClass.get(y[i]!);
    if (rows) rows.push(i);
    else byClass.set(y[i]!, [i]);
  }
  const time = (i: number): number => (Number.isFinite(ts[i]!) ? ts[i]! : Number.NEGATIVE_INFINITY);
  const held = new Uint8Array(y.length);
  for (const rows of byClass.values()) {
    if (rows.length < 2) continue;
    rows.sort((a, b) => time(a) - time(b) || a - b);
    const n = Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * fraction)));
    for (let k = rows.length - n; k < rows.length; k++) held[rows[k]!] = 1;
  }
  const train: number[] = [];
  const holdout: number[] = [];
  for (let i = 0; i < y.length; i++) (held[i] ? holdout : train).push(i);
  return { train: Int32Array.from(train), holdout: Int32Array.from(holdout) };
}
