import { NORMAL_CLASS_INDEX, THREAT_CLASSES, type ThreatClass } from '../events/threat-classes.js';

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/**
 * The evaluation contract (`vigil evaluate --json`); key order and class order
 * (THREAT_CLASSES) are part of it.
 */
export interface EvaluationReport {
  model: string;
  rows: number;
  macroF1: number;
  benignFPR: number;
  perClass: Record<ThreatClass, ClassMetrics>;
  /** confusion[true][predicted], THREAT_CLASSES order. */
  confusion: number[][];
  classes: ThreatClass[];
}

const K = THREAT_CLASSES.length;

/** k×k counts, rows = true class, columns = predicted class. */
export function confusionMatrix(yTrue: Int32Array, yPred: Int32Array, k: number = K): number[][] {
  if (yTrue.length !== yPred.length) throw new RangeError(`${yTrue.length} true labels but ${yPred.length} predictions`);
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i]!;
    const p = yPred[i]!;
    if (t < 0 || t >= k || p < 0 || p >= k) throw new RangeError(`row ${i}: class index out of range (true ${t}, predicted ${p})`);
    m[t]![p]! += 1;
  }
  return m;
}

// zero_division=0, as scikit-learn's option of that name: a ratio with nothing to count is 0.
const ratio = (num: number, den: number): number => (den === 0 ? 0 : num / den);

/**
 * Per-class precision, recall, F1 and support from a confusion matrix. Zero denominators
 * give 0 (scikit-learn's zero_division=0): a class never predicted has precision 0, a class
 * absent from the data has recall 0, and F1 is 0 when precision + recall is 0. So a class
 * missing from an evaluation set pulls macro-F1 down rather than being skipped.
 */
export function classMetrics(confusion: number[][]): ClassMetrics[] {
  const k = confusion.length;
  return Array.from({ length: k }, (_, c) => {
    const tp = confusion[c]![c]!;
    let support = 0;
    let predicted = 0;
    for (let j = 0; j < k; j++) {
      support += confusion[c]![j]!;
      predicted += confusion[j]![c]!;
    }
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    return { precision, recall, f1: ratio(2 * precision * recall, precision + recall), support };
  });
}

/** Unweighted mean of the per-class F1 over all classes. */
export function macroF1(confusion: number[][]): number {
  const m = classMetrics(confusion);
  return m.reduce((s, c) => s + c.f1, 0) / m.length;
}

/** Share of true-normal rows predicted as any attack class; 0 when there is no normal row. */
export function benignFPR(confusion: number[][]): number {
  const row = confusion[NORMAL_CLASS_INDEX]!;
  const total = row.reduce((s, v) => s + v, 0);
  return ratio(total - row[NORMAL_CLASS_INDEX]!, total);
}

export function evaluatePredictions(yTrue: Int32Array, yPred: Int32Array, modelVersion: string): EvaluationReport {
  const confusion = confusionMatrix(yTrue, yPred, K);
  const metrics = classMetrics(confusion);
  const perClass = {} as Record<ThreatClass, ClassMetrics>;
  THREAT_CLASSES.forEach((c, i) => {
    perClass[c] = metrics[i]!;
  });
  return {
    model: modelVersion,
    rows: yTrue.length,
    macroF1: metrics.reduce((s, c) => s + c.f1, 0) / K,
    benignFPR: benignFPR(confusion),
    perClass,
    confusion,
    classes: [...THREAT_CLASSES],
  };
}
