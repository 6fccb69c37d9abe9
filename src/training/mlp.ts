import * as tf from '@tensorflow/tfjs';
import { mulberry32, nextSeed } from './rng.js';

export interface MlpShape {
  dims: number;
  hidden: number[];
  classes: number;
  seed: number;
}

/**
 * dims → hidden… (relu) → classes (linear "logits") → softmax. The softmax is a layer of its
 * own so that training can take the logits (a stable log-softmax loss) while the saved model
 * still outputs probabilities. No Dropout layer: tfjs's seeded dropout reuses one mask for
 * every batch, so dropout is applied by the trainer with a fresh seeded mask per batch.
 */
export function buildMlp(shape: MlpShape): tf.Sequential {
  const rng = mulberry32(shape.seed);
  const model = tf.sequential();
  // Only the first layer states the input shape; Sequential infers the rest.
  const input = (i: number) => (i === 0 ? { inputShape: [shape.dims] } : {});
  shape.hidden.forEach((units, i) => {
    model.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        ...input(i),
        kernelInitializer: tf.initializers.heNormal({ seed: nextSeed(rng) }),
        name: `hidden_${i + 1}`,
      }),
    );
  });
  model.add(
    tf.layers.dense({
      units: shape.classes,
      ...input(shape.hidden.length),
      kernelInitializer: tf.initializers.glorotUniform({ seed: nextSeed(rng) }),
      name: 'logits',
    }),
  );
  model.add(tf.layers.activation({ activation: 'softmax', name: 'probs' }));
  return model;
}

function dropoutMask(h: tf.Tensor2D, rate: number, seed: number): tf.Tensor2D {
  if (rate <= 0) return h;
  const keep = tf.randomUniform(h.shape, 0, 1, 'float32', seed).greaterEqual(rate);
  return h.mul(keep.cast('float32')).div(1 - rate);
}

export interface DropoutRates {
  /** On the model inputs: forces the net to spread over many cues instead of a few. */
  input: number;
  /** After each hidden layer. */
  hidden: number;
}

/**
 * Forward pass to the logits, with inverted dropout (training only); `seed` makes the masks
 * reproducible.
 */
export function forwardLogits(model: tf.Sequential, x: tf.Tensor2D, rates: DropoutRates = { input: 0, hidden: 0 }, seed = 0): tf.Tensor2D {
  const layers = model.layers;
  let h = dropoutMask(x, rates.input, seed);
  for (let i = 0; i < layers.length - 1; i++) {
    h = layers[i]!.apply(h) as tf.Tensor2D;
    if (i < layers.length - 2) h = dropoutMask(h, rates.hidden, seed + i + 1);
  }
  return h;
}
