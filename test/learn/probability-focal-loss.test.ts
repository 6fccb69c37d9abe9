import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../src/errors/vigil-error.js';
import { balancedClassWeights } from '../../src/learn/class-weights.js';
import { focalLoss } from '../../src/learn/focal-loss.js';
import { gaussian } from '../../src/learn/rng.js';
import { mulberry32 } from '../../src/training/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const lossOf = (options: Parameters<typeof focalLoss>[0], yTrue: number[][], yPred: number[][]) =>
  tf.tidy(() => {
    const loss = focalLoss(options)(tf.tensor2d(yTrue), tf.tensor2d(yPred));
    return { shape: loss.shape, values: Array.from(loss.dataSync()) };
  });

describe('focalLoss', () => {
  const yTrue = [
    [1, 0, 0],
    [0, 0, 1],
  ];
  const yPred = [
    [0.7, 0.2, 0.1],
    [0.1, 0.3, 0.6],
  ];

  it('matches a hand-computed value, one loss per row', () => {
    // gamma = 2, alpha = [0.25, 0.5, 1]; only the true class contributes (y_c = 0 elsewhere).
    // Row 1, true class 0, p = 0.7: 0.25 · (1 − 0.7)² · −ln 0.7 = 0.25 · 0.09 · 0.3566749 = 0.0080252
    // Row 2, true class 2, p = 0.6: 1.00 · (1 − 0.6)² · −ln 0.6 = 1.00 · 0.16 · 0.5108256 = 0.0817321
    const { shape, values } = lossOf({ gamma: 2, alpha: [0.25, 0.5, 1] }, yTrue, yPred);
    expect(shape).toEqual([2]);
    expect(values[0]).toBeCloseTo(0.0080252, 6);
    expect(values[1]).toBeCloseTo(0.0817321, 6);
  });

  it('with gamma 0 and no alpha is categorical cross-entropy per row', () => {
    const { values } = lossOf({ gamma: 0 }, yTrue, yPred);
    // −ln 0.7 = 0.3566749, −ln 0.6 = 0.5108256
    expect(values[0]).toBeCloseTo(0.3566749, 6);
    expect(values[1]).toBeCloseTo(0.5108256, 6);
    const reference = tf.tidy(() => Array.from(tf.metrics.categoricalCrossentropy(tf.tensor2d(yTrue), tf.tensor2d(yPred)).dataSync()));
    values.forEach((v, i) => expect(v).toBeCloseTo(reference[i]!, 6));
  });

  it('stays finite when the true class has probability 0 (epsilon clip)', () => {
    const { values } = lossOf({ gamma: 2 }, [[1, 0]], [[0, 1]]);
    // (1 − 1e-7)² · −ln 1e-7 ≈ 16.118
    expect(values[0]).toBeCloseTo(-Math.log(1e-7), 3);
  });

  it('rejects bad options and shapes by type', () => {
    expect(() => focalLoss({ gamma: -1 })).toThrow(ConfigError);
    expect(() => focalLoss({ alpha: [1, Number.NaN] })).toThrow(ConfigError);
    expect(() => lossOf({ alpha: [1, 1] }, yTrue, yPred)).toThrow(ConfigError);
    expect(() => tf.tidy(() => focalLoss()(tf.tensor1d([1, 0]), tf.tensor1d([0.5, 0.5])))).toThrow(InputError);
  });
});

describe('focalLoss in model.fit with classWeight', () => {
  // 3 classes, 60/30/10 rows, Gaussian blobs in 2-D.
  const centres = [
    [0, 0],
    [3, 0],
    [0, 3],
  ];
  const rng = mulberry32(7);
  const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 60 ? 0 : i < 90 ? 1 : 2));
  const x = Array.from(labels, (c) => centres[c]!.map((m) => m + 0.7 * gaussian(rng)));

  const build = (optimizer: tf.Optimizer, options: Parameters<typeof focalLoss>[0]) => {
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 8, activation: 'relu', inputShape: [2], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
    model.add(tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
    model.compile({ optimizer, loss: focalLoss(options) });
    return model;
  };

  it('applies classWeight to each row (the loss is per row, not a scalar)', async () => {
    const xs = tf.tensor2d(x);
    const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 3);
    // Learning rate 0 and one batch: the reported loss is the weighted mean at the initial weights.
    const model = build(tf.train.sgd(0), { gamma: 2 });
    const weights = { 0: 0.5, 1: 2, 2: 7 };
    const h = await model.fit(xs, ys, { epochs: 1, batchSize: 100, shuffle: false, classWeight: weights, verbose: 0 });
    const perRow = tf.tidy(() => focalLoss({ gamma: 2 })(ys as tf.Tensor2D, model.predict(xs) as tf.Tensor2D).arraySync());
    const expected = perRow.reduce((s, l, i) => s + l * weights[labels[i] as 0 | 1 | 2], 0) / perRow.length;
    const unweighted = perRow.reduce((s, l) => s + l, 0) / perRow.length;
    expect(h.history.loss![0]).toBeCloseTo(expected, 5);
    expect(Math.abs(expected - unweighted)).toBeGreaterThan(1e-3); // the weights do change the figure
    model.dispose();
    tf.dispose([xs, ys]);
  });

  it('trains: the loss falls over a few epochs', async () => {
    const xs = tf.tensor2d(x);
    const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), 3);
    const model = build(tf.train.adam(0.05), { gamma: 2, alpha: [1, 1, 1] });
    const h = await model.fit(xs, ys, { epochs: 15, batchSize: 25, shuffle: false, classWeight: balancedClassWeights(labels, { numClasses: 3 }), verbose: 0 });
    const loss = h.history.loss as number[];
    expect(loss.every((l) => Number.isFinite(l))).toBe(true);
    expect(loss[loss.length - 1]!).toBeLessThan(0.5 * loss[0]!);
    const predicted = tf.tidy(() => (model.predict(xs) as tf.Tensor2D).argMax(1).dataSync());
    const accuracy = labels.reduce((s, c, i) => s + (predicted[i] === c ? 1 : 0), 0) / labels.length;
    expect(accuracy).toBeGreaterThan(0.9);
    model.dispose();
    tf.dispose([xs, ys]);
  });
});
