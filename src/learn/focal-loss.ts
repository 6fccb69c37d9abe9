/**
 * Focal loss (Lin, Goyal, Girshick, He, Dollár, "Focal Loss for Dense Object Detection",
 * ICCV 2017), multi-class form, per row:
 *
 *   FL(y, p) = −Σ_c α_c · y_c · (1 − p_c)^γ · log p_c,   p clipped to [ε, 1 − ε]
 *
 * The factor (1 − p_c)^γ shrinks the loss of rows the model already gets right, so the
 * flood of easy normal flows stops dominating the gradient. γ = 0 with every α_c = 1 is
 * categorical cross-entropy.
 *
 * The returned function gives one loss per row (shape [batch]), never a scalar: tfjs
 * multiplies that vector by the `classWeight` of each row before averaging, and a scalar
 * loss makes it skip `classWeight` silently. α and `classWeight` multiply; use one of them
 * for class balance, or know that they compound.
 *
 * Reloading: a model saved after `compile({loss: focalLoss(...)})` reloads with no loss (the
 * function is not serialisable). Prediction needs none; to train or `evaluate` it again,
 * keep the options (plain JSON) beside the model and recompile:
 *
 *   const model = await tf.loadLayersModel(tf.io.fromMemory({modelTopology, weightSpecs, weightData}));
 *   model.compile({ optimizer: tf.train.adam(learningRate), loss: focalLoss(savedFocalOptions) });
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError, InputError } from '../errors/vigil-error.js';

export interface FocalLossOptions {
  /** Focusing exponent γ ≥ 0; 0 turns the modulating factor off. */
  gamma?: number;
  /** Per-class weight α_c ≥ 0 in model-output order; its length must equal the number of classes. Default: 1 each. */
  alpha?: number[];
  /**
   * p is clipped to [ε, 1 − ε] before the log: a confident miss (p = 0) then costs a large
   * finite loss, not Infinity/NaN gradients. 1e-7 is the clip tfjs's own cross-entropy uses.
   */
  epsilon?: number;
}

export const FOCAL_LOSS_DEFAULTS = { gamma: 2, epsilon: 1e-7 } as const;

/**
 * (one-hot targets [batch, k], probabilities [batch, k]) → loss per row [batch]. Typed with
 * plain Tensor arguments so it is assignable to `compile({loss})`; rank 2 is checked.
 */
export type PerRowLoss = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor1D;

export function focalLoss(options: FocalLossOptions = {}): PerRowLoss {
  const gamma = options.gamma ?? FOCAL_LOSS_DEFAULTS.gamma;
  const epsilon = options.epsilon ?? FOCAL_LOSS_DEFAULTS.epsilon;
  const alpha = options.alpha;
  if (!(Number.isFinite(gamma) && gamma >= 0)) throw new ConfigError(`focalLoss: gamma must be a finite number ≥ 0, got ${gamma}`);
  if (!(epsilon > 0 && epsilon < 0.5)) throw new ConfigError(`focalLoss: epsilon must be in (0, 0.5), got ${epsilon}`);
  if (alpha?.some((a) => !(Number.isFinite(a) && a >= 0))) {
    throw new ConfigError(`focalLoss: every alpha must be a finite number ≥ 0, got [${alpha.join(', ')}]`);
  }

  return (yTrue, yPred) => {
    const k = yPred.shape[1];
    if (yPred.rank !== 2 || yTrue.rank !== 2) throw new InputError(`focalLoss: expects [batch, classes] tensors, got yTrue [${yTrue.shape.join(', ')}] and yPred [${yPred.shape.join(', ')}]`);
    // Checked per call because the class count is known only from the tensors.
    if (alpha && alpha.length !== k) throw new ConfigError(`focalLoss: alpha has ${alpha.length} entries but the model outputs ${k} classes`);
    return tf.tidy((): tf.Tensor1D => {
      const p = tf.clipByValue(yPred, epsilon, 1 - epsilon);
      let perClass: tf.Tensor = tf.mul(tf.cast(yTrue, 'float32'), tf.log(p));
      if (gamma !== 0) perClass = tf.mul(perClass, tf.pow(tf.sub(1, p), gamma));
      if (alpha) perClass = tf.mul(perClass, tf.tensor1d(alpha)); // broadcasts over rows
      return tf.neg(tf.sum<tf.Tensor1D>(perClass, 1));
    });
  };
}
