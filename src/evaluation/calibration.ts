/**
 * Reliability (calibration) of a classifier's confidence: rows are binned by their top class
 * probability into equal-width bins over [0, 1], and each bin's mean confidence is compared
 * with its observed accuracy. The expected calibration error (ECE) is the row-weighted mean
 * gap, as in Guo, Pleiss, Sun, Weinberger, "On Calibration of Modern Neural Networks" (ICML
 * 2017), eq. 3.
 *
 * The tally is a sum of counts, so chunks of an evaluation set are tallied one at a time and
 * never need their probabilities kept together.
 */

export const DEFAULT_RELIABILITY_BINS = 10;

/** Mergeable partial sums per bin; create with emptyReliabilityTally. */
export interface ReliabilityTally {
  rows: number[];
  confidenceSum: number[];
  correct: number[];
}

export interface ReliabilityBin {
  /** Confidence range [lower, upper); the last bin also holds 1. */
  lower: number;
  upper: number;
  rows: number;
  /** Mean top-class probability of the bin's rows; null for an empty bin. */
  meanConfidence: number | null;
  /** Share of the bin's rows whose top class is the true class; null for an empty bin. */
  accuracy: number | null;
}

export interface Reliability {
  bins: ReliabilityBin[];
  rows: number;
  /** Expected calibration error: sum over bins of rows/total × |accuracy − mean confidence|. */
  ece: number;
}

export function emptyReliabilityTally(bins: number = DEFAULT_RELIABILITY_BINS): ReliabilityTally {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`reliability bins must be a positive integer, got ${bins}`);
  return { rows: new Array<number>(bins).fill(0), confidenceSum: new Array<number>(bins).fill(0), correct: new Array<number>(bins).fill(0) };
}

/**
 * Adds `predicted.length` rows to `tally`: `probs` is their n×k probabilities (row-major),
 * `predicted` the class each was given, `yTrue` the true class. The confidence of a row is the
 * probability of the class it was given, so ties resolved by the caller's arg-max are kept.
 */
export function tallyReliability(tally: ReliabilityTally, probs: Float32Array, predicted: Int32Array, yTrue: Int32Array, k: number): void {
  const n = predicted.length;
  if (yTrue.length !== n) throw new RangeError(`${yTrue.length} true labels but ${n} predictions`);
  if (probs.length < n * k) throw new RangeError(`${probs.length} probabilities cannot hold ${n} rows of ${k} classes`);
  const bins = tally.rows.length;
  for (let r = 0; r < n; r++) {
    const p = predicted[r]!;
    if (p < 0 || p >= k) throw new RangeError(`row ${r}: predicted class ${p} is not one of ${k}`);
    const confidence = probs[r * k + p]!;
    // A confidence of exactly 1 belongs to the last bin, not to a bin past the end.
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(confidence * bins)));
    tally.rows[bin]! += 1;
    tally.confidenceSum[bin]! += confidence;
    if (p === yTrue[r]) tally.correct[bin]! += 1;
  }
}

/** Per-bin means and the ECE of a tally. */
export function reliabilityOf(tally: ReliabilityTally): Reliability {
  const count = tally.rows.length;
  const total = tally.rows.reduce((s, v) => s + v, 0);
  let ece = 0;
  const bins = tally.rows.map((rows, i): ReliabilityBin => {
    const bin: ReliabilityBin = { lower: i / count, upper: (i + 1) / count, rows, meanConfidence: null, accuracy: null };
    if (rows === 0) return bin;
    bin.meanConfidence = tally.confidenceSum[i]! / rows;
    bin.accuracy = tally.correct[i]! / rows;
    ece += (rows / total) * Math.abs(bin.accuracy - bin.meanConfidence);
    return bin;
  });
  return { bins, rows: total, ece };
}
