/**
 * Balanced class weights for tfjs `fit({classWeight})`: w_c = n / (k · n_c), where k counts
 * the classes present in `labels` (scikit-learn's `class_weight="balanced"`). Every present
 * class then weighs as much in total as any other, and the mean weight per row is 1, so the
 * loss keeps its scale.
 *
 * The arithmetic is `classWeights(labels, numClasses, 1)` of ../training/class-weights.ts
 * (inverse frequency, mean row weight 1, which is exactly n / (k · n_c)); this module adds
 * the cap and the object shape tfjs wants.
 */
import type { ClassWeight } from '@tensorflow/tfjs';
import { ConfigError, InputError } from '../errors/vigil-error.js';
import { THREAT_CLASSES } from '../events/threat-classes.js';
import { classWeights } from '../training/class-weights.js';

export interface BalancedClassWeightOptions {
  /** Width of the label space; class indices must lie in [0, numClasses). */
  numClasses?: number;
  /**
   * Largest allowed ratio of the heaviest to the lightest class weight (≥ 1). Uncapped,
   * a class of 40 rows among 2 million weighs ~50 000× a normal row: each of its rows then
   * moves the model as much as 50 000 normal rows, so the few rows are memorised and a batch
   * with or without one of them gives gradients orders of magnitude apart (unstable Adam
   * steps). Capping trades some of the minority's recall for that stability. The heavy
   * weights are clamped to `maxRatio` × the lightest, then all are rescaled so the mean
   * weight per row stays 1. Default: no cap (exactly scikit-learn's "balanced").
   */
  maxRatio?: number;
}

export const BALANCED_CLASS_WEIGHT_DEFAULTS: Required<BalancedClassWeightOptions> = {
  numClasses: THREAT_CLASSES.length,
  maxRatio: Number.POSITIVE_INFINITY,
};

/**
 * `{[classIndex]: weight}` for every class present in `labels` and no other: tfjs throws
 * when a training row's class is missing from `classWeight`, and a class with no rows has
 * no frequency to invert.
 */
export function balancedClassWeights(labels: Int32Array, options: BalancedClassWeightOptions = {}): ClassWeight {
  const o = { ...BALANCED_CLASS_WEIGHT_DEFAULTS, ...options };
  if (!(o.maxRatio >= 1)) throw new ConfigError(`balancedClassWeights: maxRatio must be ≥ 1, got ${o.maxRatio}`);
  if (labels.length === 0) throw new InputError('balancedClassWeights: no labels, so no class frequency to invert');

  const counts = new Float64Array(o.numClasses);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!(c >= 0 && c < o.numClasses)) {
      throw new InputError(`balancedClassWeights: label ${i} is ${c}, expected a class index in [0, ${o.numClasses})`);
    }
    counts[c]! += 1;
  }
  const weights = Float64Array.from(classWeights(labels, o.numClasses, 1));
  const present = [...counts.keys()].filter((c) => counts[c]! > 0);

  const lightest = Math.min(...present.map((c) => weights[c]!));
  const ceiling = lightest * o.maxRatio;
  if (present.some((c) => weights[c]! > ceiling)) {
    for (const c of present) weights[c] = Math.min(weights[c]!, ceiling);
    // Clamping lowered the total; rescaling (which keeps every ratio) restores a mean of 1.
    const total = present.reduce((s, c) => s + weights[c]! * counts[c]!, 0);
    for (const c of present) weights[c] = (weights[c]! * labels.length) / total;
  }

  const result: ClassWeight = {};
  for (const c of present) result[c] = weights[c]!;
  return result;
}
