import { beforeAll, describe, expect, it } from 'vitest';
import type * as tf from '@tensorflow/tfjs';
import { scoreMember } from '../../src/ensemble/fit-member.js';
import { trainEnsemble, DEFAULT_ENSEMBLE_OPTIONS, type EnsembleTrainOptions, type EnsembleTrainResult } from '../../src/ensemble/train-ensemble.js';
import { THREAT_CLASSES } from '../../src/events/threat-classes.js';
import { initBackend } from '../../src/inference/backend.js';
import { fitNetwork, type NetworkFitOptions } from '../../src/training/fit-network.js';
import { syntheticFlows } from '../ml/synthetic.js';

const K = THREAT_CLASSES.length;
// Label noise keeps validation figures from saturating, so early stopping has a choice to make.
const train = syntheticFlows([80, 40, 40, 40, 40, 40, 40], 3, 0.15);
const validation = syntheticFlows([30, 15, 15, 15, 15, 15, 15], 4, 0.15);

const SMALL = { dropout: 0.1, learningRate: 3e-3, lrDecay: 0.93, batchSize: 32, focalGamma: 2, maxBenignFPR: 1 } as const;
const options: EnsembleTrainOptions = {
  ...DEFAULT_ENSEMBLE_OPTIONS,
  general: { ...SMALL, hidden: [16], maxEpochs: 6, patience: 2, loss: 'focal', classWeightPower: 1 },
  router: { ...SMALL, hidden: [8], maxEpochs: 6, patience: 2, loss: 'focal', classWeightPower: 1 },
  specialist: { ...SMALL, hidden: [8], maxEpochs: 5, patience: 2, loss: 'ce', oversampler: 'smote', positives: 60, negativeCap: 30 },
};

function weightsOf(model: tf.LayersModel): number[] {
  return model.getWeights().flatMap((w) => Array.from(w.dataSync()));
}

describe('fitNetwork keepLastEpoch', () => {
  const rows = { x: new Float32Array(train.x.map((v) => Math.log1p(Math.abs(v)))), y: train.y };
  const val = { x: new Float32Array(validation.x.map((v) => Math.log1p(Math.abs(v)))), y: validation.y };
  const shape = { width: train.dims, classes: K };
  const fit: NetworkFitOptions = { ...SMALL, seed: 5, hidden: [16], inputDropout: 0, maxEpochs: 8, patience: 2, monitor: 'valMacroF1', loss: 'ce', maxSeconds: null };
  const score = (p: Float32Array, y: Int32Array) => scoreMember(p, y, K);

  beforeAll(async () => {
    await initBackend();
  });

  it('runs exactly maxEpochs epochs, ignoring patience, and reports the last as the one kept', async () => {
    const fitted = await fitNetwork(rows, val, shape, new Array<number>(K).fill(1), { ...fit, patience: 1, maxEpochs: 5, keepLastEpoch: true }, score);
    expect(fitted.history.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(fitted.bestEpoch).toBe(5);
    expect(fitted.validation.valMacroF1).toBe(fitted.history[4]!.valMacroF1);
    fitted.model.dispose();
  });

  it('after bestEpoch epochs with the same seed holds the weights the early-stopped run restored', async () => {
    const early = await fitNetwork(rows, val, shape, new Array<number>(K).fill(1), fit, score);
    // The early-stopped run went past its best epoch, so it restored earlier weights.
    expect(early.bestEpoch).toBeLessThan(early.history.length);
    const again = await fitNetwork(rows, val, shape, new Array<number>(K).fill(1), { ...fit, maxEpochs: early.bestEpoch, keepLastEpoch: true }, score);
    expect(again.history).toHaveLength(early.bestEpoch);
    expect(weightsOf(again.model)).toEqual(weightsOf(early.model));
    early.model.dispose();
    again.model.dispose();
  });
});

describe('trainEnsemble refit', () => {
  let plain: EnsembleTrainResult;
  let refit: EnsembleTrainResult;

  beforeAll(async () => {
    await initBackend();
    plain = await trainEnsemble(train, validation, options);
    refit = await trainEnsemble(train, validation, { ...options, refit: true });
  }, 300_000);

  it('is off by default and then reports no refit', () => {
    expect(DEFAULT_ENSEMBLE_OPTIONS.refit).toBe(false);
    expect(plain.metrics.refit).toBeUndefined();
  });

  it('retrains every member for its first-pass best epoch count on training + validation rows', () => {
    const r = refit.metrics.refit!;
    expect(Object.keys(r)).toEqual(['general', 'router', ...THREAT_CLASSES.slice(1)]);
    const all = train.y.length + validation.y.length;
    expect(r.general).toMatchObject({ epochs: plain.metrics.general.bestEpoch, trainRows: all });
    expect(r.router).toMatchObject({ epochs: plain.metrics.router.bestEpoch, trainRows: all });
    const counts = new Array<number>(K).fill(0);
    for (const y of [...train.y, ...validation.y]) counts[y]! += 1;
    THREAT_CLASSES.forEach((name, c) => {
      if (c === 0) return;
      // Balanced as in the first pass, from the union: every normal row, class c brought to
      // `positives`, at most `negativeCap` of each other attack class.
      const others = counts.reduce((s, v, j) => s + (j === 0 || j === c ? 0 : Math.min(v, options.specialist.negativeCap)), 0);
      expect(r[name]).toMatchObject({ epochs: plain.metrics.specialists[name]!.bestEpoch, trainRows: counts[0]! + options.specialist.positives + others });
    });
  });

  it('keeps the first pass temperatures, vote weights, thresholds and gate, with new member weights', () => {
    expect(refit.settings).toEqual(plain.settings);
    expect(refit.metrics.validation).toEqual(plain.metrics.validation);
    expect(refit.nets.general.temperature).toBe(plain.nets.general.temperature);
    expect(refit.nets.router.temperature).toBe(plain.nets.router.temperature);
    refit.nets.specialists.forEach((net, c) => expect(net?.temperature).toBe(plain.nets.specialists[c]?.temperature));
    expect(weightsOf(refit.nets.general.model)).not.toEqual(weightsOf(plain.nets.general.model));
  });
});
