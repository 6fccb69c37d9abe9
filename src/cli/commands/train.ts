import { join } from 'node:path';
import type { Command } from 'commander';
import { loadLabeledFlows } from '../../datasets/labeled-flows.js';
import { saveEnsemble } from '../../ensemble/ensemble-store.js';
import { DEFAULT_ENSEMBLE_OPTIONS, trainEnsemble, withHiddenWidths, type EnsembleTrainOptions } from '../../ensemble/train-ensemble.js';
import { ConfigError } from '../../errors/vigil-error.js';
import { FALLBACK_RULES, type FallbackRule } from '../../ensemble/combine.js';
import { THREAT_CLASSES } from '../../events/threat-classes.js';
import { initBackend } from '../../inference/backend.js';
import { FEATURE_VERSION, saveModel } from '../../inference/model-store.js';
import { MODELS_DIR } from '../../paths.js';
import { ModelRegistry } from '../../registry/model-registry.js';
import { readPointer } from '../../registry/pointers.js';
import { hashTrainingData } from '../../registry/training-data-hash.js';
import { selectRows } from '../../training/dataset.js';
import { timeOrderedHoldout } from '../../training/holdout.js';
import { DEFAULT_TRAIN_OPTIONS, trainClassifier, type EpochLog } from '../../training/train.js';
import { childLogger } from '../../telemetry/logger.js';
import { fraction, layerSizes, positiveInt, nonNegativeInt } from '../options.js';

const log = childLogger('train');

interface TrainFlags {
  data: string[];
  version?: string;
  modelsDir: string;
  validation: number;
  seed: number;
  maxEpochs: number;
  patience: number;
  batchSize: number;
  setCurrent?: boolean;
  backend: 'auto' | 'node' | 'wasm' | 'cpu';
  ensemble?: boolean;
  oversampler: string;
  generalLoss: string;
  routerThreshold: number;
  specialistRows: number;
  specialistGate: number;
  fallback: string;
  refit?: boolean;
  featureVersion: number;
  hidden?: number[];
}

/** The ensemble options from the flags: --max-epochs also caps the router and specialists. */
function ensembleOptions(f: TrainFlags): EnsembleTrainOptions {
  if (f.oversampler !== 'smote' && f.oversampler !== 'adasyn') throw new ConfigError(`--oversampler must be smote or adasyn, got ${f.oversampler}`);
  if (f.generalLoss !== 'ce' && f.generalLoss !== 'focal') throw new ConfigError(`--general-loss must be ce or focal, got ${f.generalLoss}`);
  if (!(FALLBACK_RULES as readonly string[]).includes(f.fallback)) throw new ConfigError(`--fallback must be one of ${FALLBACK_RULES.join(', ')}, got ${f.fallback}`);
  const d = DEFAULT_ENSEMBLE_OPTIONS;
  return withHiddenWidths({
    ...d,
    seed: f.seed,
    general: { ...d.general, loss: f.generalLoss, maxEpochs: f.maxEpochs, patience: f.patience, batchSize: f.batchSize },
    router: { ...d.router, maxEpochs: Math.min(d.router.maxEpochs, f.maxEpochs) },
    specialist: { ...d.specialist, oversampler: f.oversampler, positives: f.specialistRows, maxEpochs: Math.min(d.specialist.maxEpochs, f.maxEpochs) },
    routerThreshold: f.routerThreshold,
    specialistGate: f.specialistGate,
    fallback: f.fallback as FallbackRule,
    refit: f.refit === true,
  }, f.hidden);
}

function epochLine(e: EpochLog): string {
  return (
    `epoch ${String(e.epoch).padStart(3)}  loss ${e.loss.toFixed(4)}  val_loss ${e.valLoss.toFixed(4)}  ` +
    `val_macroF1 ${e.valMacroF1.toFixed(4)}  val_benignFPR ${(e.valBenignFPR * 100).toFixed(2)}%  ` +
    `${e.seconds.toFixed(1)}s${e.improved ? '  *best' : ''}\n`
  );
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train the flow classifier on labelled flows (time-ordered validation split, class weights, early stopping)')
    .requiredOption('--data <file...>', 'labelled input files (CICIDS2017 CSV either format, JSON lines; gzip or plain)')
    .option('--version <name>', 'model version name (default: UTC time + weights hash)')
    .option('--models-dir <dir>', 'model registry directory', MODELS_DIR)
    .option('--validation <fraction>', 'per attack type, the latest share of rows used for early stopping', fraction, 0.15)
    .option('--seed <n>', 'seed of initialisers, shuffling and dropout', nonNegativeInt, DEFAULT_TRAIN_OPTIONS.seed)
    .option('--max-epochs <n>', 'upper bound on epochs', positiveInt, DEFAULT_TRAIN_OPTIONS.maxEpochs)
    .option('--patience <n>', 'epochs without validation improvement before stopping', positiveInt, DEFAULT_TRAIN_OPTIONS.patience)
    .option('--batch-size <n>', 'training batch size', positiveInt, DEFAULT_TRAIN_OPTIONS.batchSize)
    .option(
      '--hidden <sizes>',
      `hidden layer widths of the MLP, or with --ensemble of its general model and router (default: ${DEFAULT_TRAIN_OPTIONS.hidden.join(',')}; ensemble ${DEFAULT_ENSEMBLE_OPTIONS.general.hidden.join(',')})`,
      layerSizes,
    )
    .option('--set-current', 'make the new model the one served by default (models/CURRENT)')
    .option('--backend <name>', 'TF.js backend: auto | node | wasm | cpu', 'auto')
    .option('--feature-version <n>', 'rows of feature version 1 (79 flow features of each flow) or 2 (100: the files replayed, in the order given, through the feature pipeline; detect and serve then score through it too)', positiveInt, FEATURE_VERSION)
    .option('--ensemble', 'train the Phase 2 ensemble (general model, router, six one-vs-rest specialists) instead of one MLP')
    .option('--oversampler <name>', 'ensemble: how specialists balance their class: smote | adasyn', DEFAULT_ENSEMBLE_OPTIONS.specialist.oversampler)
    .option('--general-loss <name>', 'ensemble: loss of the general model: ce (class-weighted) | focal', DEFAULT_ENSEMBLE_OPTIONS.general.loss)
    .option('--specialist-rows <n>', 'ensemble: rows of its own class each specialist trains on (SMOTE/ADASYN up, random down)', positiveInt, DEFAULT_ENSEMBLE_OPTIONS.specialist.positives)
    .option('--specialist-gate <q>', 'ensemble: an attack decision needs its specialist at >= q (0 = off)', fraction, DEFAULT_ENSEMBLE_OPTIONS.specialistGate)
    .option('--refit', 'ensemble: after fitting, retrain each member on training + validation rows for its best epoch count (keeps temperatures, weights, thresholds)')
    .option('--router-threshold <p>', 'ensemble: router confidence below which the row falls back (see --fallback)', fraction, DEFAULT_ENSEMBLE_OPTIONS.routerThreshold)
    .option('--fallback <rule>', 'ensemble: who decides a row the router cannot place: general (the general model alone) | panel (general, router and every specialist vote)', DEFAULT_ENSEMBLE_OPTIONS.fallback)
    .action(async (f: TrainFlags) => {
      const backend = await initBackend(f.backend);
      const data = await loadLabeledFlows(f.data, undefined, { featureVersion: f.featureVersion, labelsAsOutcomes: true });
      log.info({ rows: data.rows, dims: data.dims, bad: data.bad, unlabeled: data.unlabeled, backend }, 'training data loaded');
      // Stratified by source label, as the hold-out is (see holdoutLines).
      const split = timeOrderedHoldout(data.ts, data.labelGroup, f.validation);
      const train = selectRows(data, split.train);
      const validation = selectRows(data, split.holdout);
      process.stderr.write(`training on ${train.y.length} rows, validating on ${validation.y.length} (latest ${f.validation * 100}% of each attack type)\n`);

      const started = performance.now();
      const classCounts = Object.fromEntries(THREAT_CLASSES.map((c, i) => [c, data.y.filter((v) => v === i).length]));
      const version = f.version ?? new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      let manifest;
      let summary: string;
      if (f.ensemble) {
        const result = await trainEnsemble(train, validation, ensembleOptions(f), (line) => void process.stderr.write(line));
        manifest = await saveEnsemble(join(f.modelsDir, version), {
          nets: result.nets,
          transform: result.transform,
          settings: result.settings,
          version,
          featureVersion: f.featureVersion,
          trainingConfig: { ...result.config, data: f.data, validationShare: f.validation, classCounts },
          metrics: result.metrics,
        });
        summary = `ensemble, ${result.metrics.trainingSeconds.toFixed(0)} s`;
      } else {
        const result = await trainClassifier(
          train,
          validation,
          { seed: f.seed, maxEpochs: f.maxEpochs, patience: f.patience, batchSize: f.batchSize, ...(f.hidden && { hidden: f.hidden }) },
          (e) => void process.stderr.write(epochLine(e)),
        );
        const seconds = (performance.now() - started) / 1000;
        const best = result.history[result.bestEpoch - 1];
        manifest = await saveModel(join(f.modelsDir, version), {
          model: result.model,
          transform: result.transform,
          version,
          featureVersion: f.featureVersion,
          trainingConfig: { ...result.config, data: f.data, validationShare: f.validation, classCounts },
          metrics: { bestEpoch: result.bestEpoch, validation: best, trainingSeconds: seconds, history: result.history },
        });
        summary = `best epoch ${result.bestEpoch}, ${seconds.toFixed(0)} s`;
      }
      // Lineage first, read before any pointer moves: the parent is what was serving.
      const registry = new ModelRegistry({ modelsDir: f.modelsDir });
      registry.record(manifest.version, { parent: readPointer(f.modelsDir, 'current') ?? null, trainingData: await hashTrainingData(f.data) });
      // --set-current is the operator's explicit choice, recorded as a forced promotion (the
      // rule needs hold-out metrics this command does not compute); PREVIOUS keeps the old one.
      if (f.setCurrent) await registry.promote(manifest.version, { force: true });
      process.stdout.write(`model ${manifest.version} saved to ${join(f.modelsDir, manifest.version)} (${summary})\n`);
    });
}
