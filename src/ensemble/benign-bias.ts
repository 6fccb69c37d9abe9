/**
 * Biases tuned class thresholds towards `normal`, on the validation split.
 *
 * Macro-F1 barely moves when a few benign flows are flagged (normal is one class of seven,
 * and a large one), so F1-tuned thresholds leave false alarms that the benign-FPR target
 * counts heavily. Lowering t_normal makes normal win more rows. Candidates are t_normal × f
 * for f on a geometric grid from 1 down to `minFactor`; kept is the one with the lowest
 * validation benign FPR among those whose validation macro-F1 stays within `maxF1Drop` of
 * the tuned thresholds' (ties: the larger f, the smaller change). With maxF1Drop = 0 it
 * never lowers validation macro-F1.
 */
import { ConfigError } from '../errors/vigil-error.js';
import { benignFPR, confusionMatrix, macroF1 } from '../evaluation/metrics.js';
import { NORMAL_CLASS_INDEX } from '../events/threat-classes.js';
import { applyClassThresholds } from '../learn/class-thresholds.js';

export interface BenignBiasOptions {
  maxF1Drop: number;
  minFactor: number;
  steps: number;
}

export interface BenignBias {
  thresholds: number[];
  factor: number;
  macroF1: number;
  benignFPR: number;
}

export function biasTowardsNormal(probs: Float32Array, labels: Int32Array, tuned: readonly number[], o: BenignBiasOptions): BenignBias {
  if (!(o.maxF1Drop >= 0 && o.minFactor > 0 && o.minFactor <= 1 && Number.isInteger(o.steps) && o.steps >= 1)) {
    throw new ConfigError(`biasTowardsNormal: need maxF1Drop ≥ 0, minFactor in (0, 1], steps ≥ 1; got ${JSON.stringify(o)}`);
  }
  const k = tuned.length;
  const judge = (factor: number): BenignBias => {
    const thresholds = tuned.map((t, c) => (c === NORMAL_CLASS_INDEX ? t * factor : t));
    const confusion = confusionMatrix(labels, applyClassThresholds(probs, thresholds), k);
    return { thresholds, factor, macroF1: macroF1(confusion), benignFPR: benignFPR(confusion) };
  };
  const base = judge(1);
  let chosen = base;
  for (let i = 1; i <= o.steps; i++) {
    const candidate = judge(o.minFactor ** (i / o.steps));
    if (candidate.macroF1 >= base.macroF1 - o.maxF1Drop && candidate.benignFPR < chosen.benignFPR) chosen = candidate;
  }
  return chosen;
}
