/**
 * The retrainer: what the scheduler runs when a trigger fires (issue 5, item 5).
 *
 * One `run(job)`:
 *   1. reads the base data set (loaded once per retrainer: the file does not change) and every
 *      training sample collected up to the job's start, projected to the model's features;
 *   2. splits the base set for early stopping (the latest rows of each attack type), adds the
 *      samples to the training side, and balances it (raw-balance.ts: SMOTE for classes below
 *      `minClassRows`; off by default, see RETRAINER_DEFAULTS) on top of the trainer's class weights;
 *   3. trains a candidate with the injected CandidateTrainer (seeded: same inputs, same model)
 *      and saves it in the registry as `<prefix><start time>`;
 *   4. scores the candidate and the current model on the hold-out files, which are never
 *      trained on, and records both reports, so the rule compares them on the same rows;
 *   5. asks the registry to promote it: the rule (+2 points macro-F1, no class recall down
 *      more than 1 point, configurable) decides; accepted, the old CURRENT becomes PREVIOUS
 *      (the backup `vigil models rollback` returns to) and CURRENT is switched atomically;
 *      refused, the candidate is recorded as rejected with the reason and nothing moves;
 *   6. appends the run to the `retrain_runs` history.
 * Running engines follow CURRENT between micro-batches (RegistryModelProvider).
 *
 * Every labelled sample so far is trained on, not only those since the last retrain: each
 * candidate starts from the base set, and would otherwise forget earlier corrections.
 *
 * At least once: a retry of a failed job trains a new candidate under a new name; a candidate
 * left by a crash before promotion stays a `candidate` in the registry, never served.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadLabeledFlows, type LabeledFlows } from '../datasets/labeled-flows.js';
import { ConfigError, VigilError } from '../errors/vigil-error.js';
import type { EvaluationReport } from '../evaluation/metrics.js';
import { featureLayout } from '../features/registry.js';
import { FEATURE_VERSION, readManifest } from '../inference/model-store.js';
import { ModelRegistry, type PromotionResult } from '../registry/model-registry.js';
import { readPointer } from '../registry/pointers.js';
import type { PromotionRuleOptions } from '../registry/promotion-rule.js';
import type { TrainingDataHash } from '../registry/registry-record.js';
import { hashTrainingData } from '../registry/training-data-hash.js';
import type { OfflineStore, RetrainRun } from '../store/offline-store.js';
import { childLogger } from '../telemetry/logger.js';
import { MlpCandidateTrainer, type CandidateTrainer } from './candidate-trainer.js';
import { scoreClassifierHoldout, type ScoreHoldout } from './holdout-score.js';
import { balanceRawRows } from './raw-balance.js';
import { collectedRows, concatRows, splitBase } from './retrain-data.js';
import type { RetrainJob } from './retrain-scheduler.js';
import { retrainRunOf } from './retrain-run-row.js';

/** A retrain could not finish: data unreadable, no rows, the history not written. */
export class RetrainError extends VigilError {}

export interface RetrainerOptions {
  /** The registry the candidate is saved in and promoted through. */
  modelsDir: string;
  /** Labelled files of the base set (e.g. the CICIDS2017 train split). */
  baseData: readonly string[];
  /** Labelled hold-out files: judged on, never trained on. */
  holdoutData: readonly string[];
  /** Where samples are read and the history written. */
  store: Pick<OfflineStore, 'scan' | 'insertRetrainRuns'>;
  trainer?: CandidateTrainer;
  scoreHoldout?: ScoreHoldout;
  rule?: Partial<PromotionRuleOptions>;
  seed?: number;
  /** Share of each attack type's latest base rows used for early stopping. */
  validationShare?: number;
  /** Classes with fewer training rows are oversampled up to this many (raw-balance.ts). */
  minClassRows?: number;
  /** Candidate versions are `<prefix><UTC start time>`. */
  versionPrefix?: string;
  /**
   * The feature version candidates are trained on (default 1): base rows are built in it,
   * samples projected to it. Each model is judged on the hold-out's rows of its own version.
   */
  featureVersion?: number;
}

export const RETRAINER_DEFAULTS = Object.freeze({
  seed: 1,
  validationShare: 0.15,
  /**
   * Off: on the full CICIDS2017 split (31,513 base rows, 7,880 hold-out) SMOTE to a floor of
   * 50 or 200 rows cost 2.6 and 0.5 points of hold-out macro-F1 and 1.8 points of normal
   * recall against no oversampling (0.9815, the shipped v1 to the bit); the trainer's class
   * weights already even the classes out. Raise it for label streams with rare classes.
   */
  minClassRows: 0,
  versionPrefix: 'r',
  featureVersion: FEATURE_VERSION,
});

/** What one retrain did, as the history row records it, plus the registry's answer. */
export interface RetrainReport {
  run: RetrainRun;
  promotion: PromotionResult;
  /** Samples that could not be projected to the model's features, by feature version. */
  unprojectable: Record<number, number>;
}

const log = childLogger('retrain');

function compactUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export class Retrainer {
  readonly #o: Required<Omit<RetrainerOptions, 'rule'>> & Pick<RetrainerOptions, 'rule'>;
  readonly #registry: ModelRegistry;
  #base: Promise<{ flows: LabeledFlows; hash: TrainingDataHash }> | undefined;
  /** The hold-out's rows, by feature version: a candidate and its parent may differ. */
  readonly #holdouts = new Map<number, Promise<LabeledFlows>>();

  constructor(options: RetrainerOptions) {
    if (options.baseData.length === 0) throw new ConfigError('Retrainer: baseData names no file (the CICIDS2017 train split, from `vigil split`)');
    if (options.holdoutData.length === 0) throw new ConfigError('Retrainer: holdoutData names no file (the hold-out split, from `vigil split`)');
    const d = RETRAINER_DEFAULTS;
    this.#o = {
      ...options,
      trainer: options.trainer ?? new MlpCandidateTrainer(),
      scoreHoldout: options.scoreHoldout ?? scoreClassifierHoldout,
      seed: options.seed ?? d.seed,
      validationShare: options.validationShare ?? d.validationShare,
      minClassRows: options.minClassRows ?? d.minClassRows,
      versionPrefix: options.versionPrefix ?? d.versionPrefix,
      featureVersion: options.featureVersion ?? d.featureVersion,
    };
    // A version this build cannot compute rows for fails here, not at the first retrain.
    featureLayout(this.#o.featureVersion);
    const share = this.#o.validationShare;
    if (!(share > 0 && share < 1)) throw new ConfigError(`Retrainer: validationShare must be in (0, 1), got ${share}`);
    if (!Number.isSafeInteger(this.#o.minClassRows) || this.#o.minClassRows < 0) throw new ConfigError(`Retrainer: minClassRows must be an integer >= 0, got ${this.#o.minClassRows}`);
    this.#registry = new ModelRegistry({ modelsDir: this.#o.modelsDir, ...(options.rule ? { rule: options.rule } : {}) });
  }

  /** The scheduler's Retrain: runs and forgets the report (the history keeps it). */
  readonly retrain = async (job: RetrainJob): Promise<void> => {
    await this.run(job);
  };

  async run(job: RetrainJob): Promise<RetrainReport> {
    const startedAtMs = job.startedAtMs;
    const o = this.#o;
    const parent = readPointer(o.modelsDir, 'current') ?? null;
    const [base, holdout] = await Promise.all([this.#loadBase(), this.#loadHoldout(o.featureVersion)]);
    const samples = await collectedRows(o.store, { toMs: startedAtMs + 1 }, o.featureVersion, featureLayout(o.featureVersion).dims);
    const { train: baseTrain, validation } = splitBase(base.flows, o.validationShare);
    const balanced = balanceRawRows(concatRows(baseTrain, samples), { minClassRows: o.minClassRows, seed: o.seed });
    const version = this.#newVersion(startedAtMs);
    log.info({ job: job.id, version, parent, baseRows: base.flows.rows, samples: samples.y.length, trainRows: balanced.rows.y.length, reasons: job.data.reasons }, 'retrain: training a candidate');

    const candidate = await o.trainer.train(
      { train: balanced.rows, validation },
      { modelsDir: o.modelsDir, version, featureVersion: o.featureVersion, seed: o.seed, provenance: { retrain: { job: job.id, reasons: job.data.reasons, baseData: o.baseData, samples: samples.y.length, synthetic: balanced.generated } } },
    );
    const candidateReport = await o.scoreHoldout(candidate.dir, holdout);
    this.#registry.record(candidate.version, { parent, trainingData: base.hash, holdout: candidateReport });
    const parentReport = parent === null ? null : await this.#measureParent(parent);
    const promotion = await this.#registry.promote(candidate.version);

    const run = retrainRunOf({
      runId: `${job.id}@${startedAtMs}`,
      startedAtMs,
      finishedAtMs: Date.now(),
      triggers: job.data.reasons,
      baseRows: baseTrain.y.length + validation.y.length,
      sampleRows: samples.y.length,
      candidate: candidateReport,
      parent: parent === null ? null : { version: parent, report: parentReport },
      outcome: promotion.outcome,
      reason: promotion.decision.reason,
    });
    try {
      await o.store.insertRetrainRuns([run]);
    } catch (cause) {
      throw new RetrainError(`Retrainer: ${candidate.version} was ${promotion.outcome}, but its history row was not written`, { retriable: true, cause });
    }
    log.info({ version, outcome: promotion.outcome, reason: promotion.decision.reason, macroF1: run.macroF1, gain: run.macroF1Gain }, `retrain: candidate ${promotion.outcome}`);
    return { run, promotion, unprojectable: samples.unprojectable };
  }

  /**
   * The current model on this hold-out, recorded in its registry record: the rule compares
   * the record's reports, and one measured on other rows would not be a fair comparison.
   * A parent that does not load is left unmeasured; the rule then refuses to compare. It is
   * scored on the hold-out's rows of its own feature version: the same flows as the candidate's.
   */
  async #measureParent(parent: string): Promise<EvaluationReport | null> {
    const dir = join(this.#o.modelsDir, parent);
    if (!existsSync(join(dir, 'manifest.json'))) return null;
    try {
      const { featureVersion } = await readManifest(dir);
      const report = await this.#o.scoreHoldout(dir, await this.#loadHoldout(featureVersion));
      this.#registry.record(parent, { holdout: report });
      return report;
    } catch (error) {
      if (!(error instanceof VigilError)) throw error;
      log.warn({ parent, err: error.message }, 'retrain: the current model could not be measured on the hold-out');
      return null;
    }
  }

  #newVersion(startedAtMs: number): string {
    const stem = `${this.#o.versionPrefix}${compactUtc(startedAtMs)}`;
    let version = stem;
    for (let n = 2; existsSync(join(this.#o.modelsDir, version)); n++) version = `${stem}-${n}`;
    return version;
  }

  #loadBase(): Promise<{ flows: LabeledFlows; hash: TrainingDataHash }> {
    this.#base ??= (async () => {
      const flows = await loadLabeledFlows(this.#o.baseData, undefined, { featureVersion: this.#o.featureVersion, labelsAsOutcomes: true });
      if (flows.rows === 0) throw new RetrainError(`Retrainer: the base data ${this.#o.baseData.join(', ')} holds no labelled rows`);
      return { flows, hash: await hashTrainingData(this.#o.baseData) };
    })();
    // A failed load is not cached: the next retrain reads the files again.
    this.#base.catch(() => (this.#base = undefined));
    return this.#base;
  }

  #loadHoldout(featureVersion: number): Promise<LabeledFlows> {
    let holdout = this.#holdouts.get(featureVersion);
    if (!holdout) {
      holdout = loadLabeledFlows(this.#o.holdoutData, undefined, { featureVersion }).then((flows) => {
        if (flows.rows === 0) throw new RetrainError(`Retrainer: the hold-out ${this.#o.holdoutData.join(', ')} holds no labelled rows`);
        return flows;
      });
      this.#holdouts.set(featureVersion, holdout);
      // A failed load is not cached: the next retrain reads the files again.
      holdout.catch(() => this.#holdouts.delete(featureVersion));
    }
    return holdout;
  }
}
