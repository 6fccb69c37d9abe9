import { THREAT_CLASSES } from '../events/threat-classes.js';
import { benignFPR, classMetrics, confusionMatrix, macroF1 } from '../evaluation/metrics.js';
import { argMaxRows } from '../inference/classifier.js';

/**
 * What early stopping watches on the validation rows: macro-F1 (ties: lower loss), the mean
 * cross-entropy, or the class-balanced cross-entropy (mean over classes of each class's mean).
 */
export type Monitor = 'valMacroF1' | 'valLoss' | 'valBalancedLoss';

/** How a model does on the validation rows after an epoch. */
export interface Validation {
  /** Unweighted mean cross-entropy on the validation rows. */
  valLoss: number;
  /** Mean over the classes present of each class's mean cross-entropy. */
  valBalancedLoss: number;
  valMacroF1: number;
  valBenignFPR: number;
  /** Validation recall per class, THREAT_CLASSES order (0 for a class without rows). */
  valRecall: number[];
}

/** Scores the flow classifier's probabilities (n × 7) on validation rows against their classes `y`. */
export function scoreClassProbabilities(probs: Float32Array, y: Int32Array): Validation {
  const k = THREAT_CLASSES.length;
  const ceByClass = new Float64Array(k);
  const count = new Float64Array(k);
  for (let r = 0; r < y.length; r++) {
    ceByClass[y[r]!]! -= Math.log(Math.max(probs[r * k + y[r]!]!, 1e-7));
    count[y[r]!]! += 1;
  }
  const present = count.filter((c) => c > 0).length;
  const confusion = confusionMatrix(y, argMaxRows(probs, y.length, k), k);
  return {
    valLoss: ceByClass.reduce((s, v) => s + v, 0) / y.length,
    valBalancedLoss: ceByClass.reduce((s, v, c) => s + (count[c]! > 0 ? v / count[c]! : 0), 0) / present,
    valMacroF1: macroF1(confusion),
    valBenignFPR: benignFPR(confusion),
    valRecall: classMetrics(confusion).map((m) => m.recall),
  };
}

/**
 * Whether validation result `v` beats `best` for early stopping. An epoch over the benign
 * FPR budget never beats one within it: macro-F1 barely moves when a few benign flows are
 * flagged, yet the FPR is a target of its own.
 */
export function isBetterEpoch(v: Validation, best: Validation | undefined, monitor: Monitor, maxBenignFPR = 1): boolean {
  if (!best) return true;
  const within = v.valBenignFPR <= maxBenignFPR;
  const bestWithin = best.valBenignFPR <= maxBenignFPR;
  if (within !== bestWithin) return within;
  if (monitor === 'valLoss') return v.valLoss < best.valLoss;
  if (monitor === 'valBalancedLoss') return v.valBalancedLoss < best.valBalancedLoss;
  // Macro-F1 moves in steps on small classes, so equal F1 is decided by the loss.
  const eps = 1e-9;
  return v.valMacroF1 > best.valMacroF1 + eps || (Math.abs(v.valMacroF1 - best.valMacroF1) <= eps && v.valLoss < best.valLoss);
}
