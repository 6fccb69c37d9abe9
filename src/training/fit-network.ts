/**
 * The one training loop of vigil's networks: an MLP (mlp.ts) fitted on rows that are already
 * transformed, for the single flow classifier (train.ts, which fits its transform first) and
 * for every ensemble member (../ensemble/fit-member.ts, whose rows share one transform).
 *
 * Per epoch: seeded shuffle, Adam with per-epoch decay, inverted dropout with a fresh seeded
 * mask per batch, a per-row loss (cross-entropy or focal) times the row's class weight, the
 * mean over the batch (Keras' classWeight semantics); then the validation rows are scored by
 * the caller's `score` and the best epoch's weights are kept (tfjs's restoreBestWeights is
 * not implemented). "Best" is validation.ts's rule: an epoch within the class-0 false-positive
 * budget beats one over it, then the monitored figure. Same rows + same seed: same weights.
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors/vigil-error.js';
import { predictProbabilities } from '../inference/classifier.js';
import { focalLoss } from '../learn/focal-loss.js';
import { buildMlp, forwardLogits } from './mlp.js';
import { mulberry32, nextSeed, shuffleInPlace } from './rng.js';
import { isBetterEpoch, type Monitor, type Validation } from './validation.js';

export interface NetworkFitOptions {
  seed: number;
  hidden: number[];
  /** Dropout after each hidden layer. */
  dropout: number;
  /** Dropout on the inputs. */
  inputDropout: number;
  learningRate: number;
  /** Learning rate multiplier per epoch (1 = constant). */
  lrDecay: number;
  batchSize: number;
  maxEpochs: number;
  /** Epochs without improvement of `monitor` before stopping. */
  patience: number;
  monitor: Monitor;
  /** Validation class-0 false-positive budget; 1 = off. */
  maxBenignFPR: number;
  /** 'ce': cross-entropy; 'focal': focal loss with `focalGamma` (../learn/focal-loss.ts). */
  loss: 'ce' | 'focal';
  focalGamma: number;
  /** Wall-clock cap; null = none (it makes the result depend on machine speed). */
  maxSeconds: number | null;
  /**
   * Run exactly `maxEpochs` epochs and keep the last one's weights (no early stopping): for
   * a refit whose epoch count was chosen by an earlier early-stopped run. Default false.
   */
  keepLastEpoch?: boolean;
}

/** Transformed rows (n × width) with class labels in [0, classes). */
export interface NetworkRows {
  x: Float32Array;
  y: Int32Array;
}

export interface NetworkEpoch extends Validation {
  epoch: number;
  /** Class-weighted training loss (mean over rows, with dropout). */
  loss: number;
  /** Whether this epoch is the best so far (its weights are kept). */
  improved: boolean;
  seconds: number;
}

export interface FittedNetwork {
  /** Outputs softmax probabilities over `classes`. */
  model: tf.Sequential;
  /** 1-based epoch whose weights the model holds (the last one under keepLastEpoch). */
  bestEpoch: number;
  history: NetworkEpoch[];
  /** The validation figures of the epoch whose weights the model holds. */
  validation: Validation;
}

/** Validation figures of a network's probabilities (n × classes) on labelled rows. */
export type ScoreProbabilities = (probs: Float32Array, y: Int32Array) => Validation;

export async function fitNetwork(
  train: NetworkRows,
  validation: NetworkRows,
  shape: { width: number; classes: number },
  classWeight: ArrayLike<number>,
  o: NetworkFitOptions,
  score: ScoreProbabilities,
  onEpoch?: (log: NetworkEpoch) => void | Promise<void>,
): Promise<FittedNetwork> {
  const { width, classes } = shape;
  const n = train.y.length;
  if (train.x.length !== n * width || validation.x.length !== validation.y.length * width) {
    throw new RangeError(`fitNetwork: rows are not ${width} wide (train ${train.x.length}/${n}, validation ${validation.x.length}/${validation.y.length})`);
  }
  if (n === 0 || validation.y.length === 0) throw new RangeError(`fitNetwork: needs rows in both sets (train ${n}, validation ${validation.y.length})`);
  if (classWeight.length !== classes) throw new ConfigError(`fitNetwork: ${classWeight.length} class weights for ${classes} classes`);
  for (const key of ['dropout', 'inputDropout'] as const) {
    if (!(o[key] >= 0 && o[key] < 1)) throw new ConfigError(`fitNetwork: ${key} must be in [0, 1), got ${o[key]}`);
  }
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
  const history: NetworkEpoch[] = [];
  let best: Validation | undefined;
  let bestEpoch = 0;
  let bestWeights: tf.Tensor[] | undefined;
  const started = performance.now();
  try {
    for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
      const epochStart = performance.now();
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
              const logits = forwardLogits(model, xb, { input: o.inputDropout, hidden: o.dropout }, maskSeed);
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
      const v = score(predictProbabilities(model, validation.x, validation.y.length, width), validation.y);
      // Under keepLastEpoch every epoch is the one kept, and the model already holds its weights.
      const improved = o.keepLastEpoch === true || isBetterEpoch(v, best, o.monitor, o.maxBenignFPR);
      if (improved) {
        best = v;
        bestEpoch = epoch;
        if (!o.keepLastEpoch) {
          bestWeights?.forEach((t) => t.dispose());
          bestWeights = model.getWeights().map((t) => t.clone());
        }
      }
      const log: NetworkEpoch = { epoch, loss: lossSum / n, ...v, improved, seconds: (performance.now() - epochStart) / 1000 };
      history.push(log);
      await onEpoch?.(log);
      // An epoch runs synchronously; between epochs, timers get their turn (a retrain shares its
      // process with a BullMQ lock renewal and a Kafka consumer's heartbeats).
      await new Promise((resolve) => setImmediate(resolve));
      if (epoch - bestEpoch >= o.patience) break;
      if (o.maxSeconds != null && (performance.now() - started) / 1000 >= o.maxSeconds) break;
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
