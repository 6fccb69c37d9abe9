import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { THREAT_CLASSES } from '../../src/events/threat-classes.js';
import { evaluatePredictions } from '../../src/evaluation/metrics.js';
import { dstPortInput } from '../../src/features/vector-v2.js';
import { initBackend } from '../../src/inference/backend.js';
import { Classifier } from '../../src/inference/classifier.js';
import { trainClassifier, type EpochLog, type TrainOptions, type TrainResult } from '../../src/training/train.js';
import { isBetterEpoch, type Validation } from '../../src/training/validation.js';
import { syntheticFlows } from './synthetic.js';

const train = syntheticFlows([60, 60, 60, 40, 20, 20, 10], 11, 0.15);
const validation = syntheticFlows([20, 20, 20, 15, 8, 8, 5], 12, 0.15);
// No FPR budget: the noisy synthetic data would never meet one, and the tests watch plain metrics.
const tiny: TrainOptions = { hidden: [16], batchSize: 32, maxEpochs: 6, patience: 6, seed: 5, maxBenignFPR: 1 };

function classifierOf(r: TrainResult): Classifier {
  return new Classifier(r.model, r.transform, { version: 't', featureVersion: 1, classes: [...THREAT_CLASSES] });
}

beforeAll(async () => {
  await initBackend();
});

describe('trainClassifier', () => {
  it('is reproducible from its seed', async () => {
    const a = classifierOf(await trainClassifier(train, validation, tiny));
    const b = classifierOf(await trainClassifier(train, validation, tiny));
    const c = classifierOf(await trainClassifier(train, validation, { ...tiny, seed: 6 }));
    const pa = a.predictBatch(validation.x, validation.y.length).probs;
    expect(b.predictBatch(validation.x, validation.y.length).probs).toEqual(pa);
    expect(c.predictBatch(validation.x, validation.y.length).probs).not.toEqual(pa);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('returns the best epoch by the monitored metric, with its weights', async () => {
    // A high learning rate on noisy labels makes the validation loss bounce, so the best
    // epoch is not the last one and the restore is really exercised.
    const logs: EpochLog[] = [];
    const r = await trainClassifier(train, validation, { ...tiny, learningRate: 0.05, maxEpochs: 10, patience: 10, monitor: 'valLoss' }, (l) => {
      logs.push(l);
    });
    expect(r.history).toEqual(logs);
    expect(r.bestEpoch).toBeLessThan(r.history.length);
    const best = r.history[r.bestEpoch - 1]!;
    expect(best.valLoss).toBe(Math.min(...r.history.map((h) => h.valLoss)));
    expect(r.history.filter((h) => h.improved).at(-1)).toBe(best);

    const clf = classifierOf(r);
    const { probs, predicted } = clf.predictBatch(validation.x, validation.y.length);
    const k = THREAT_CLASSES.length;
    let ce = 0;
    validation.y.forEach((c, i) => (ce -= Math.log(Math.max(probs[i * k + c]!, 1e-7))));
    expect(ce / validation.y.length).toBeCloseTo(best.valLoss, 10);
    expect(evaluatePredictions(validation.y, predicted, 't').macroF1).toBe(best.valMacroF1);
    clf.dispose();
  });

  it('stops after `patience` epochs without improvement', async () => {
    const r = await trainClassifier(train, validation, { ...tiny, learningRate: 0.05, maxEpochs: 30, patience: 2 });
    expect(r.history.length).toBe(r.bestEpoch + 2);
    r.model.dispose();
  });

  it('keeps tensor memory flat across epochs and frees everything but the model', async () => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const r = await trainClassifier(train, validation, tiny, () => {
      counts.push(tf.memory().numTensors);
    });
    expect(new Set(counts).size).toBe(1);
    r.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('records its configuration and class weights for the manifest', async () => {
    const r = await trainClassifier(train, validation, tiny);
    expect(r.config).toMatchObject({ seed: 5, hidden: [16], trainRows: train.y.length, validationRows: validation.y.length, backend: 'wasm' });
    expect(r.config.classWeights.length).toBe(7);
    expect(r.config.classWeights[6]!).toBeGreaterThan(r.config.classWeights[0]!);
    expect(JSON.parse(JSON.stringify(r.config))).toEqual(r.config);
    r.model.dispose();
  });

  it('places destination-port indicators by layout, or where portIndex says for another width', async () => {
    const dstPort = dstPortInput(79);
    const byLayout = await trainClassifier(train, validation, tiny);
    expect(byLayout.transform.portIndex).toBe(dstPort);
    byLayout.model.dispose();
    // 79 flow features + 2 more inputs: no known layout, so no indicators unless told.
    const widen = (rows: typeof train) => {
      const x = new Float32Array(rows.y.length * 81);
      rows.y.forEach((_, r) => x.set(rows.x.subarray(r * 79, (r + 1) * 79), r * 81));
      return { x, y: rows.y, dims: 81 };
    };
    const unknown = await trainClassifier(widen(train), widen(validation), tiny);
    expect(unknown.transform.portIndex).toBe(-1);
    unknown.model.dispose();
    const told = await trainClassifier(widen(train), widen(validation), { ...tiny, portIndex: dstPort });
    expect(told.transform.portIndex).toBe(dstPort);
    expect(told.transform.ports.length).toBeGreaterThan(0);
    told.model.dispose();
  });

  it('rejects unusable input', async () => {
    await expect(trainClassifier(train, { x: new Float32Array(0), y: new Int32Array(0), dims: 79 }, tiny)).rejects.toThrow(RangeError);
    await expect(trainClassifier({ ...train, dims: 78 }, validation, tiny)).rejects.toThrow(RangeError);
    await expect(trainClassifier(train, validation, { ...tiny, dropout: 1 })).rejects.toThrow(RangeError);
  });
});

describe('isBetterEpoch', () => {
  const v = (valMacroF1: number, valLoss: number, valBenignFPR = 0): Validation => ({
    valMacroF1, valLoss, valBalancedLoss: valLoss, valBenignFPR, valRecall: [],
  });

  it('ranks by macro-F1, then by loss on a tie', () => {
    expect(isBetterEpoch(v(0.9, 0.5), undefined, 'valMacroF1')).toBe(true);
    expect(isBetterEpoch(v(0.91, 0.9), v(0.9, 0.1), 'valMacroF1')).toBe(true);
    expect(isBetterEpoch(v(0.9, 0.2), v(0.9, 0.3), 'valMacroF1')).toBe(true);
    expect(isBetterEpoch(v(0.9, 0.3), v(0.9, 0.3), 'valMacroF1')).toBe(false);
    expect(isBetterEpoch(v(0.5, 0.2), v(0.9, 0.3), 'valLoss')).toBe(true);
  });

  it('never prefers an epoch over the benign FPR budget to one within it', () => {
    expect(isBetterEpoch(v(0.99, 0.1, 0.05), v(0.9, 0.3, 0.01), 'valMacroF1', 0.01)).toBe(false);
    expect(isBetterEpoch(v(0.8, 0.3, 0.01), v(0.99, 0.1, 0.05), 'valMacroF1', 0.01)).toBe(true);
    expect(isBetterEpoch(v(0.99, 0.1, 0.04), v(0.9, 0.3, 0.05), 'valMacroF1', 0.01)).toBe(true);
  });
});
