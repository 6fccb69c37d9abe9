import * as tf from '@tensorflow/tfjs';
import { THREAT_CLASSES } from '../events/threat-classes.js';
import { initBackend } from '../inference/backend.js';
import { dstPortInput } from '../features/vector-v2.js';
import { applyTransform, DEFAULT_CLIP, DEFAULT_MAX_PORTS, fitTransform, outputDims, type TransformParams } from '../vector/transform.js';
import { classWeights } from './class-weights.js';
import { rowCount, type LabelledRows } from './dataset.js';
import { fitNetwork, type NetworkEpoch } from './fit-network.js';
import { scoreClassProbabilities, type Monitor } from './validation.js';

export type { Monitor, Validation } from './validation.js';

export interface TrainOptions {
  /** Seeds initialisers, shuffling and dropout: same data + same seed → same model. */
  seed?: number;
  hidden?: number[];
  /** Dropout after each hidden layer. */
  dropout?: number;
  /** Dropout on the inputs. */
  inputDropout?: number;
  learningRate?: number;
  /** Learning rate multiplier per epoch (1 = constant). */
  lrDecay?: number;
  batchSize?: number;
  maxEpochs?: number;
  /** Epochs without improvement of `monitor` before stopping. */
  patience?: number;
  monitor?: Monitor;
  /**
   * Validation benign false-positive budget: an epoch above it never counts as better than
   * one within it, so the kept weights meet the FPR target whenever any epoch did. 1 = off.
   */
  maxBenignFPR?: number;
  /** Class weight ∝ frequency^-power (1 = inverse frequency). */
  classWeightPower?: number;
  clip?: number;
  /** Destination ports that get an indicator input (see transform.ts); 0 disables them. */
  maxPorts?: number;
  /** Which raw input is the destination port; null: found by the row layout (dstPortInput). */
  portIndex?: number | null;
  /** Wall-clock cap. Off by default because it makes the result depend on machine speed. */
  maxSeconds?: number | null;
}

/** Chosen on the validation split of CICIDS2017 (see the model README section). */
export const DEFAULT_TRAIN_OPTIONS: Required<TrainOptions> = {
  seed: 1,
  hidden: [128, 64],
  dropout: 0.1,
  inputDropout: 0,
  learningRate: 1e-3,
  lrDecay: 0.93,
  batchSize: 256,
  maxEpochs: 40,
  patience: 10,
  monitor: 'valMacroF1',
  maxBenignFPR: 0.01,
  classWeightPower: 1,
  clip: DEFAULT_CLIP,
  maxPorts: DEFAULT_MAX_PORTS,
  portIndex: null,
  maxSeconds: null,
};

/** The settings a model was trained with, as saved in its manifest. */
export interface TrainConfig extends Required<TrainOptions> {
  /** Per-class loss weights actually used, THREAT_CLASSES order. */
  classWeights: number[];
  trainRows: number;
  validationRows: number;
  backend: string;
}

/** One epoch of training, as the manifest's history keeps it. */
export type EpochLog = NetworkEpoch;

export interface TrainResult {
  model: tf.Sequential;
  transform: TransformParams;
  history: EpochLog[];
  /** 1-based epoch whose weights the returned model holds. */
  bestEpoch: number;
  config: TrainConfig;
}

/**
 * Trains the flow MLP: transform fitted on `train` only, class-weighted cross-entropy, Adam,
 * seeded shuffling and dropout, early stopping on the validation rows with the best epoch's
 * weights restored (tfjs's restoreBestWeights is not implemented, so snapshots are kept here).
 */
export async function trainClassifier(
  train: LabelledRows,
  validation: LabelledRows,
  options: TrainOptions = {},
  onEpoch?: (log: EpochLog) => void | Promise<void>,
): Promise<TrainResult> {
  const o: Required<TrainOptions> = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  const { dims } = train;
  const k = THREAT_CLASSES.length;
  const n = rowCount(train);
  const nv = rowCount(validation);
  if (validation.dims !== dims) throw new RangeError(`validation has ${validation.dims} dims, training ${dims}`);
  if (n === 0 || nv === 0) throw new RangeError(`training needs rows in both sets (train ${n}, validation ${nv})`);
  for (const key of ['dropout', 'inputDropout'] as const) {
    if (!(o[key] >= 0 && o[key] < 1)) throw new RangeError(`${key} must be in [0, 1), got ${o[key]}`);
  }
  const backend = await initBackend();

  const transform = fitTransform(train.x, dims, { clip: o.clip, portIndex: o.portIndex ?? dstPortInput(dims), maxPorts: o.maxPorts });
  const width = outputDims(transform);
  const xT = applyTransform(transform, train.x);
  const xV = applyTransform(transform, validation.x);
  const weights = classWeights(train.y, k, o.classWeightPower);
  const config: TrainConfig = { ...o, classWeights: Array.from(weights), trainRows: n, validationRows: nv, backend };

  const fitted = await fitNetwork(
    { x: xT, y: train.y },
    { x: xV, y: validation.y },
    { width, classes: k },
    weights,
    { ...o, loss: 'ce', focalGamma: 0 },
    scoreClassProbabilities,
    onEpoch,
  );
  const { model, history, bestEpoch } = fitted;
  return { model, transform, history, bestEpoch, config };
}
