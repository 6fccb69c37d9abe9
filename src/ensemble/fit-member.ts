/**
 * Fits one ensemble member: an MLP (../training/mlp.ts) on rows that are ALREADY transformed
 * (the ensemble shares one transform, and balanced rows are synthesised in transformed space,
 * so ../training/train.ts, which fits its own transform on raw rows, cannot be used here).
 *
 * Per epoch: seeded shuffle, Adam with per-epoch decay, inverted dropout with a fresh seeded
 * mask per batch, a per-row loss (cross-entropy or focal) times the row's class weight; then
 * the validation rows are scored and the best epoch's weights are kept (tfjs's
 * restoreBestWeights is not implemented). "Best" is ../training/validation.ts's rule: an
 * epoch within the benign (class 0) false-positive budget beats one over it, then macro-F1,
 * ties broken by the loss. Class 0 is `normal` for the general model and the router, and
 * `rest` for a one-vs-rest specialist, whose false alarms the budget then bounds.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors/vigil-error.js';
import { classMetrics, confusionMatrix } from '../evaluation/metrics.js';
import { argMaxRows, predictProbabilities } from '../inference/classifier.js';
import { focalLoss } from '../learn/focal-loss.js';
import { buildMlp, forwardLogits } from '../training/mlp.js';
import { mulberry32, nextSeed, shuffleInPlace } from '../training/rng.js';
import { isBetterEpoch, type Validation } from '../training/validation.js';

export interface MemberFitOptions {
  seed: number;
  hidden: number[];
  dropout: number;
  learningRate: number;
  lrDecay: number;
  batchSize: number;
  maxEpochs: number;
  patience: number;
  /** Validation class-0 false-positive budget (see the module comment); 1 = off. */
  maxBenignFPR: number;
  /** 'ce': cross-entropy; 'focal': focal loss with `focalGamma` (../learn/focal-loss.ts). */
  loss: 'ce' | 'focal';
  focalGamma: number;
}

/** Transformed rows with class labels in [0, classes). */
export interface MemberRows {
  x: Float32Array;
  y: Int32Array;
}

export interface MemberEpoch extends Validation {
  epoch: number;
  loss: number;
  improved: boolean;
}

export interface FittedMember {
  /** Outputs softmax probabilities over `classes`. */
  model: tf.Sequential;
  bestEpoch: number;
  history: MemberEpoch[];
  /** The best epoch's validation figures. */
  validation: Validation;
}

/** Scores a member's probabilities on labelled rows: the same figures early stopping uses. */
export function scoreMember(probs: Float32Array, y: Int32Array, classes: number): Validation {
  const ceByClass = new Float64Array(classes);
  const count = new Float64Array(classes);
  for (let r = 0; r < y.length; r++) {
    ceByClass[y[r]!]! -= Math.log(Math.max(probs[r * classes + y[r]!]!, 1e-7));
    count[y[r]!]! += 1;
  }
  const present = [...count.keys()].filter((c) => count[c]! > 0);
  const confusion = confusionMatrix(y, argMaxRows(probs, y.length, classes), classes);
  const metrics = classMetrics(confusion);
  const normalRow = confusion[0]!;
  const normals = normalRow.reduce((s, v) => s + v, 0);
  return {
    valLoss: ceByClass.reduce((s, v) => s + v, 0) / y.length,
    valBalancedLoss: present.reduce((s, c) => s + ceByClass[c]! / count[c]!, 0) / present.length,
    // Over the classes present only: a specialist has 2 classes, a small split may miss one.
    valMacroF1: present.reduce((s, c) => s + metrics[c]!.f1, 0) / present.length,
    valBenignFPR: normals > 0 ? (normals - normalRow[0]!) / normals : 0,
    valRecall: metrics.map((m) => m.recall),
  };
}

/**
 * Trains an MLP width → hidden → classes on `train` with per-class loss weights
 * `classWeight`, early-stopped on `validation`.
 */
export async function fitMember(
  train: MemberRows,
  validation: MemberRows,
  width: number,
  classes: number,
  classWeight: ArrayLike<number>,
  o: MemberFitOptions,
): Promise<FittedMember> {
  const n = train.y.length;
  if (train.x.length !== n * width || validation.x.length !== validation.y.length * width) {
    throw new RangeError(`fitMember: rows are not ${width} wide (train ${train.x.length}/${n}, validation ${validation.x.length}/${validation.y.length})`);
  }
  if (n === 0 || validation.y.length === 0) throw new RangeError(`fitMember: needs rows in both sets (train ${n}, validation ${validation.y.length})`);
  if (classWeight.length !== classes) throw new ConfigError(`fitMember: ${classWeight.length} class weights for ${classes} classes`);
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new ConfigError(`fitMember: dropout must be in [0, 1), got ${o.dropout}`);
  const rng = mulberry32(o.seed);
  const model = buildMlp({ dims: width, hidden: o.hidden, classes, seed: nextSeed(rng) });
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(o.learningRate);
  const perRowFocal = o.loss === 'focal' ? focalLoss({ gamma: o.focalGamma }) : undefined;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const bs = Math.max(1, Math.min(o.batchSize, n));
  const bx = new Float32Array(bs * width);
  const by = new Int32Array(bs);
  const bw = new Float32Array(bs);
  const history: MemberEpoch[] = [];
  let best: Validation | undefined;
  let bestEpoch = 0;
  let bestWeights: tf.Tensor[] | undefined;
  try {
    for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
      // tfjs reads the rate on every step but offers no setter; the field is public at runtime.
      (optimizer as unknown as { learningRate: number }).learningRate = o.learningRate * o.lrDecay ** (epoch - 1);
      shuffleInPlace(order, rng);
      let lossSum = 0;
      for (let start = 0; start < n; start += bs) {
        const b = Math.min(bs, n - start);
        for (let i = 0; i < b; i++) {
          const r = order[start + i]!;
          bx.set(train.x.subarray(r * width, (r + 1) * width), i * width);
          by[i] = train.y[r]!;
          bw[i] = classWeight[train.y[r]!]!;
        }
        const maskSeed = nextSeed(rng);
        const cost = tf.tidy(() => {
          // Copies, not views: the cpu backend keeps the array it is given.
          const xb = tf.tensor2d(bx.slice(0, b * width), [b, width]);
          const yb = tf.oneHot(tf.tensor1d(by.slice(0, b), 'int32'), classes);
          const wb = tf.tensor1d(bw.slice(0, b));
          return optimizer.minimize(
            () => {
              const logits = forwardLogits(model, xb, { input: 0, hidden: o.dropout }, maskSeed);
              const perRow = perRowFocal ? perRowFocal(yb, tf.softmax(logits)) : tf.neg(tf.sum(tf.mul(yb, tf.logSoftmax(logits)), 1));
              return tf.mean(tf.mul(perRow, wb)) as tf.Scalar;
            },
            true,
            variables,
          ) as tf.Scalar;
        });
        lossSum += cost.dataSync()[0]! * b;
        cost.dispose();
      }
      const v = scoreMember(predictProbabilities(model, validation.x, validation.y.length, width), validation.y, classes);
      const improved = isBetterEpoch(v, best, 'valMacroF1', o.maxBenignFPR);
      if (improved) {
        best = v;
        bestEpoch = epoch;
        bestWeights?.forEach((t) => t.dispose());
        bestWeights = model.getWeights().map((t) => t.clone());
      }
      history.push({ epoch, loss: lossSum / n, ...v, improved });
      if (epoch - bestEpoch >= o.patience) break;
    }
    if (bestWeights) model.setWeights(bestWeights);
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    bestWeights?.forEach((t) => t.dispose());
    optimizer.dispose();
  }
  return { model, bestEpoch, history, validation: best! };
}
