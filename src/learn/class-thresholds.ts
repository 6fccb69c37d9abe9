/**
 * Per-class decision thresholds tuned for macro-F1 on a validation split.
 *
 * Decision rule: each class c has a threshold t_c > 0 and a row is assigned
 * argmax_c p_c / t_c, ties going to the lowest class index. All thresholds equal (the start,
 * t_c = 1) is exactly the plain argmax; lowering t_c makes class c win more rows. Only the
 * ratios between thresholds matter.
 *
 * Tuning is coordinate ascent: for each class in turn, with the other thresholds fixed, try a
 * grid of candidate values for t_c and keep the best only if it raises validation macro-F1
 * by more than `minGain` (≥ 0); repeat passes until one changes nothing or `maxPasses` is
 * reached. Why it never lowers macro-F1 on the split it was tuned on: the current thresholds
 * are always the incumbent, a move is accepted only when the F1 it yields (computed exactly,
 * by the same rule, on the same rows) is higher, so the sequence of accepted F1 values is
 * non-decreasing from macroF1Before. On other data it can of course go either way: tune on
 * a validation split and judge on a separate one.
 *
 * Candidates for t_c come from the quantiles of the rows' switch points
 * r_i = p_ic / max_{j≠c} p_ij/t_j: row i goes to class c exactly when t_c < r_i, so these are
 * the only values at which the decision changes (a grid over the raw probabilities p_c would
 * also work, but spends candidates on values that change no row). Each candidate sits between
 * two neighbouring switch points, never on one, so no row is decided by a tie.
 *
 * Macro-F1 is ../evaluation/metrics.ts's (unweighted mean over all classes, zero_division=0),
 * so the figures here match `vigil evaluate`.
 */
import { ConfigError, InputError } from '../errors/vigil-error.js';
import { confusionMatrix, macroF1 } from '../evaluation/metrics.js';
import { THREAT_CLASSES } from '../events/threat-classes.js';

export interface ThresholdTuningOptions {
  /** Values per row (classes), model-output order. */
  numClasses?: number;
  /** Cuts of the sorted switch points tried per class per pass (candidates + 1 values). */
  candidates?: number;
  /** Coordinate-ascent passes over all classes at most. */
  maxPasses?: number;
  /** A move must raise macro-F1 by more than this (≥ 0); equal F1 keeps the incumbent, so thresholds move only when it buys something. */
  minGain?: number;
}

export const THRESHOLD_TUNING_DEFAULTS: Required<ThresholdTuningOptions> = {
  numClasses: THREAT_CLASSES.length,
  candidates: 32,
  maxPasses: 3,
  minGain: 0,
};

export interface ThresholdTuning {
  /** t_c per class, model-output order (use with applyClassThresholds). */
  thresholds: number[];
  /** Macro-F1 of the plain argmax on the tuning split. */
  macroF1Before: number;
  /** Macro-F1 with `thresholds` on the same split; ≥ macroF1Before. */
  macroF1After: number;
}

function checkThresholds(thresholds: readonly number[]): void {
  if (thresholds.length < 2) throw new ConfigError(`class thresholds: need one per class (≥ 2), got ${thresholds.length}`);
  thresholds.forEach((t, c) => {
    if (!(t > 0 && Number.isFinite(t))) throw new ConfigError(`class thresholds: threshold ${c} must be a finite number > 0, got ${t}`);
  });
}

function rowsOf(probs: Float32Array, k: number): number {
  if (probs.length % k !== 0) throw new InputError(`class thresholds: ${probs.length} probabilities is not a whole number of rows of ${k} classes`);
  return probs.length / k;
}

/** argmax_c p_c / t_c per row (ties to the lowest index); k = thresholds.length. */
export function applyClassThresholds(probs: Float32Array, thresholds: readonly number[]): Int32Array {
  checkThresholds(thresholds);
  const k = thresholds.length;
  const n = rowsOf(probs, k);
  const predicted = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const base = r * k;
    let best = 0;
    let bestScore = probs[base]! / thresholds[0]!;
    for (let c = 1; c < k; c++) {
      const score = probs[base + c]! / thresholds[c]!;
      if (score > bestScore) {
        best = c;
        bestScore = score;
      }
    }
    predicted[r] = best;
  }
  return predicted;
}

/**
 * Up to `count` + 1 candidate values of t_c from the rows' switch points: sorted, cut at
 * evenly spaced ranks q, each candidate lying strictly between the (q−1)-th and q-th point
 * (geometric mean, as thresholds act by ratio), so class c takes exactly the rows ranked ≥ q
 * and no row is left on a tie. q = 0 and q = m (all rows to c, none to c) are included.
 */
function candidateThresholds(switchPoints: Float64Array, count: number): number[] {
  const sorted = switchPoints.filter((v) => v > 0 && Number.isFinite(v)).sort();
  const m = sorted.length;
  if (m === 0) return [];
  const picked = new Set<number>();
  for (let j = 0; j <= count; j++) {
    const q = Math.round((j * m) / count);
    if (q === 0) picked.add(sorted[0]! / 2);
    else if (q === m) picked.add(sorted[m - 1]! * 2);
    else if (sorted[q - 1]! < sorted[q]!) picked.add(Math.sqrt(sorted[q - 1]! * sorted[q]!));
  }
  return [...picked];
}

/**
 * Tunes thresholds on a validation split: `probs` holds n × numClasses calibrated
 * probabilities, `labels` the n true class indices.
 */
export function tuneClassThresholds(probs: Float32Array, labels: Int32Array, options: ThresholdTuningOptions = {}): ThresholdTuning {
  const o = { ...THRESHOLD_TUNING_DEFAULTS, ...options };
  if (!(Number.isInteger(o.candidates) && o.candidates >= 1)) throw new ConfigError(`tuneClassThresholds: candidates must be an integer ≥ 1, got ${o.candidates}`);
  if (!(Number.isInteger(o.maxPasses) && o.maxPasses >= 1)) throw new ConfigError(`tuneClassThresholds: maxPasses must be an integer ≥ 1, got ${o.maxPasses}`);
  if (!(o.minGain >= 0)) throw new ConfigError(`tuneClassThresholds: minGain must be ≥ 0 (a negative gain could lower F1), got ${o.minGain}`);
  if (!(Number.isInteger(o.numClasses) && o.numClasses >= 2)) throw new ConfigError(`tuneClassThresholds: numClasses must be an integer ≥ 2, got ${o.numClasses}`);
  const k = o.numClasses;
  const thresholds = new Array<number>(k).fill(1);
  const n = rowsOf(probs, k);
  if (n !== labels.length) throw new InputError(`tuneClassThresholds: ${n} rows of probabilities but ${labels.length} labels`);
  if (n === 0) throw new InputError('tuneClassThresholds: no rows to tune on');
  labels.forEach((y, i) => {
    if (!(y >= 0 && y < k)) throw new InputError(`tuneClassThresholds: label ${i} is ${y}, expected a class index in [0, ${k})`);
  });

  const f1Of = (predicted: Int32Array) => macroF1(confusionMatrix(labels, predicted, k));
  const macroF1Before = f1Of(applyClassThresholds(probs, thresholds));
  let current = macroF1Before;

  // With every threshold but t_c fixed, row i's class is c or `rival[i]`, the best other class
  // (score `rivalScore[i]`), so each candidate costs one pass over the rows.
  const rival = new Int32Array(n);
  const rivalScore = new Float64Array(n);
  const switchPoint = new Float64Array(n);
  const predicted = new Int32Array(n);
  const predictWith = (c: number, tc: number) => {
    for (let r = 0; r < n; r++) {
      const score = probs[r * k + c]! / tc;
      // The same comparison, with the same tie rule, as applyClassThresholds.
      predicted[r] = score > rivalScore[r]! || (score === rivalScore[r]! && c < rival[r]!) ? c : rival[r]!;
    }
    return predicted;
  };

  for (let pass = 0; pass < o.maxPasses; pass++) {
    let moved = false;
    for (let c = 0; c < k; c++) {
      for (let r = 0; r < n; r++) {
        const base = r * k;
        let best = -1;
        let bestScore = -Infinity;
        for (let j = 0; j < k; j++) {
          if (j === c) continue;
          const score = probs[base + j]! / thresholds[j]!;
          if (score > bestScore) {
            best = j;
            bestScore = score;
          }
        }
        rival[r] = best;
        rivalScore[r] = bestScore;
        switchPoint[r] = probs[base + c]! / bestScore;
      }
      let bestT = thresholds[c]!;
      let bestF1 = current;
      for (const t of candidateThresholds(switchPoint, o.candidates)) {
        const f1 = f1Of(predictWith(c, t));
        if (f1 > bestF1 + o.minGain) {
          bestT = t;
          bestF1 = f1;
        }
      }
      if (bestT !== thresholds[c]) {
        thresholds[c] = bestT;
        current = bestF1;
        moved = true;
      }
    }
    if (!moved) break;
  }

  return { thresholds, macroF1Before, macroF1After: f1Of(applyClassThresholds(probs, thresholds)) };
}
