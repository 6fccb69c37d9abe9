/**
 * The part of a retrain that turns rows into a saved model, behind a small interface so the
 * retrainer does not care what kind of model it is: the flow MLP (MlpCandidateTrainer) or the
 * Phase 2 ensemble (EnsembleCandidateTrainer). The retrainer hands over raw, sanitized rows of
 * one feature version (v1: 79 flow features, NaN = missing; v2: 100 finite values) and a
 * directory; the trainer saves there a model the registry can load (manifest.json naming
 * `version` and the feature version), and the retrainer judges it on the hold-out.
 */
import { join } from 'node:path';
import { THREAT_CLASSES } from '../events/threat-classes.js';
import { saveModel } from '../inference/model-store.js';
import type { LabelledRows } from '../training/dataset.js';
import { trainClassifier, type TrainOptions } from '../training/train.js';
import { childLogger } from '../telemetry/logger.js';
import { saveEnsemble } from '../ensemble/ensemble-store.js';
import { DEFAULT_ENSEMBLE_OPTIONS, trainEnsemble, type EnsembleTrainOptions } from '../ensemble/train-ensemble.js';

export interface CandidateTrainingSet {
  /** Rows to fit on (already balanced). */
  train: LabelledRows;
  /** Rows for early stopping only; never the hold-out the candidate is judged on. */
  validation: LabelledRows;
}

export interface CandidateTarget {
  /** The registry directory; the model goes to `<modelsDir>/<version>`. */
  modelsDir: string;
  version: string;
  /** The feature version of the rows, recorded in the manifest (default 1). */
  featureVersion?: number;
  /** Same set + same seed: same model. */
  seed: number;
  /** Recorded in the manifest beside the trainer's own settings (why and on what it trained). */
  provenance: Record<string, unknown>;
}

export interface TrainedCandidate {
  version: string;
  dir: string;
  /** Epochs run and the one whose weights were kept. */
  epochs: number;
  bestEpoch: number;
}

export interface CandidateTrainer {
  /** Names the trainer in logs and manifests. */
  readonly name: string;
  train(set: CandidateTrainingSet, target: CandidateTarget): Promise<TrainedCandidate>;
}

const log = childLogger('retrain');

/** The flow MLP of training/train.ts: class weights, early stopping on the validation rows. */
export class MlpCandidateTrainer implements CandidateTrainer {
  readonly name = 'mlp';

  /** `options.seed` is ignored: the target's seed wins, so the retrainer owns determinism. */
  constructor(private readonly options: Omit<TrainOptions, 'seed'> = {}) {}

  async train(set: CandidateTrainingSet, target: CandidateTarget): Promise<TrainedCandidate> {
    const result = await trainClassifier(set.train, set.validation, { ...this.options, seed: target.seed }, (e) => {
      log.debug({ version: target.version, epoch: e.epoch, valMacroF1: e.valMacroF1, improved: e.improved }, 'epoch');
    });
    const dir = join(target.modelsDir, target.version);
    const classCounts = classCountsOf(set.train);
    try {
      await saveModel(dir, {
        model: result.model,
        transform: result.transform,
        version: target.version,
        ...(target.featureVersion !== undefined && { featureVersion: target.featureVersion }),
        trainingConfig: { ...result.config, trainer: this.name, classCounts, ...target.provenance },
        metrics: { bestEpoch: result.bestEpoch, validation: result.history[result.bestEpoch - 1], history: result.history },
      });
    } finally {
      result.model.dispose();
    }
    return { version: target.version, dir, epochs: result.history.length, bestEpoch: result.bestEpoch };
  }
}

function classCountsOf(rows: LabelledRows): Record<string, number> {
  return Object.fromEntries(THREAT_CLASSES.map((c, i) => [c, rows.y.filter((v) => v === i).length]));
}

/** The Phase 2 ensemble of ../ensemble/train-ensemble.ts, on the same rows and seed rule. */
export class EnsembleCandidateTrainer implements CandidateTrainer {
  readonly name = 'ensemble';

  /** `options.seed` is ignored: the target's seed wins. */
  constructor(private readonly options: EnsembleTrainOptions = DEFAULT_ENSEMBLE_OPTIONS) {}

  async train(set: CandidateTrainingSet, target: CandidateTarget): Promise<TrainedCandidate> {
    const result = await trainEnsemble(set.train, set.validation, { ...this.options, seed: target.seed }, (line) => log.debug({ version: target.version }, line.trim()));
    const dir = join(target.modelsDir, target.version);
    try {
      await saveEnsemble(dir, {
        nets: result.nets,
        transform: result.transform,
        settings: result.settings,
        ...(target.featureVersion !== undefined && { featureVersion: target.featureVersion }),
        version: target.version,
        trainingConfig: { ...result.config, trainer: this.name, classCounts: classCountsOf(set.train), ...target.provenance },
        metrics: result.metrics,
      });
    } finally {
      const { general, router, specialists } = result.nets;
      for (const net of [general, router, ...specialists]) net?.model.dispose();
    }
    return { version: target.version, dir, epochs: result.metrics.general.epochs, bestEpoch: result.metrics.general.bestEpoch };
  }
}

export const CANDIDATE_TRAINERS = ['mlp', 'ensemble'] as const;
export type CandidateTrainerName = (typeof CANDIDATE_TRAINERS)[number];
