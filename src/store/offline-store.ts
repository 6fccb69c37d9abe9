import type { ThreatClass } from '../events/threat-classes.js';
import type { Verdict } from '../events/verdict.js';

/**
 * The offline store contract: the history vigil replays and learns from, kept narrow like
 * Feast's OfflineStore. Five tables, each append-only, each row keyed by an entity and an
 * event time in epoch milliseconds:
 *
 * | table              | row type           | key column | what it holds                              |
 * |--------------------|--------------------|------------|--------------------------------------------|
 * | `events`           | `EventRow`         | `key`      | raw events (key = source IP), for backfill |
 * | `feature_vectors`  | `FeatureVectorRow` | `key`      | the vector each event was scored with      |
 * | `verdicts`         | `Verdict`          | `srcIp`    | what the detector decided                  |
 * | `training_samples` | `TrainingSample`   | `eventKey` | labelled vectors the retrainer reads       |
 * | `retrain_runs`     | `RetrainRun`       | `runId`    | each retrain: why, on what, its outcome    |
 *
 * Writes. Each `insert*` call writes its whole batch in one round trip (ClickHouse: one
 * INSERT; SQLite: one transaction), after checking every row, so an invalid row fails the
 * call before anything is written. Inserts are at-least-once: a retried batch whose first
 * attempt reached the server may be stored twice; readers tolerate duplicates (`vectorsAsOf`
 * picks one row, replays see both copies).
 *
 * Numbers. Vectors, probabilities and scores must be finite: a NaN or an infinity in a model
 * input is a bug upstream (vector/ imputes missing features before scoring), and training on
 * one poisons the model, so the store rejects it instead of keeping it. Float64 values come
 * back bit-exact (ClickHouse 18.16 parses decimal text inexactly, so its store writes binary).
 *
 * Time. Timestamps are safe non-negative integers of epoch ms, UTC. Ranges are half-open:
 * `fromMs <= ts < toMs`.
 */
export interface OfflineStore {
  /**
   * Creates what is missing (database, tables) by applying the numbered migrations not yet
   * recorded in `schema_migrations`, in order. Running it again applies nothing. Fails,
   * changing nothing, if the database records a migration this code does not know or one
   * whose text changed since it was applied.
   */
  migrate(): Promise<MigrationReport>;
  /** The migrations recorded as applied, by version. */
  appliedMigrations(): Promise<AppliedMigration[]>;

  insertEvents(rows: readonly EventRow[]): Promise<void>;
  insertFeatureVectors(rows: readonly FeatureVectorRow[]): Promise<void>;
  insertVerdicts(rows: readonly Verdict[]): Promise<void>;
  insertTrainingSamples(rows: readonly TrainingSample[]): Promise<void>;
  insertRetrainRuns(rows: readonly RetrainRun[]): Promise<void>;

  /**
   * The rows of `table` in `range`, in micro-batches of at most `batchSize` rows, ordered by
   * ts, then key, then the event id: replay for backfill (`scan('events', { key, fromMs, toMs })`)
   * and training samples since a time (`scan('training_samples', { fromMs })`). Rows are read
   * as the iteration goes, so a large range does not sit in memory; stop early with `break`.
   * Writing to the store while a scan is open is allowed.
   */
  scan<T extends OfflineTable>(table: T, range?: ScanRange, options?: ScanOptions): AsyncIterable<OfflineRows[T][]>;

  /**
   * For each lookup, the vector that was scored for its event as of `asOfMs`: the latest
   * `feature_vectors` row of that event id with `ts <= asOfMs` (ties on ts: larger feature
   * version, then larger model version), or `undefined`. Answers in the order asked, in as
   * few round trips as the server's query size allows. This is the point-in-time join of the
   * training collector: a label given at time t never sees a vector written after t.
   */
  vectorsAsOf(lookups: readonly VectorLookup[]): Promise<(FeatureVectorRow | undefined)[]>;

  /** The number of rows of `table` in `range` (all rows without one). */
  count(table: OfflineTable, range?: ScanRange): Promise<number>;

  /** Releases the connection or file. The store is unusable afterwards. */
  close(): Promise<void>;
}

/** A raw event as received, for replay. */
export interface EventRow {
  /** The entity the event belongs to: its source IP. */
  key: string;
  /** Event time, epoch ms. */
  ts: number;
  eventId: string;
  /** What the payload is: `flow`, `dns`, `auth`, ... (letters, digits, `_`, `-`). */
  kind: string;
  /**
   * The event as JSON text, kept verbatim. JSON has no NaN: encode missing features the way
   * the event's codec does (FlowEvent features carry NaN) before handing it over.
   */
  payload: string;
}

/** The vector an event was scored with, and what the model said. */
export interface FeatureVectorRow {
  /** Source IP. */
  key: string;
  /** When the vector was computed, epoch ms. */
  ts: number;
  eventId: string;
  /** The layout of `vector` (features/registry.ts); the store does not check its length. */
  featureVersion: number;
  /** Finite numbers in layout order; never empty. Returned as a plain array. */
  vector: ArrayLike<number>;
  modelVersion: string;
  verdictClass: ThreatClass;
}

/** Where a training sample's label came from. Open-ended: new labellers add a name. */
export type SampleSource = 'analyst' | 'council' | (string & {});

/** A labelled vector for retraining. */
export interface TrainingSample {
  /** The eventId of the labelled event. */
  eventKey: string;
  /** When the label was given, epoch ms. */
  ts: number;
  /** Finite numbers in the layout of `featureVersion`; never empty. Returned as a plain array. */
  features: ArrayLike<number>;
  /** The class the labeller gave. */
  label: ThreatClass;
  /** The class the model had predicted. */
  mlLabel: ThreatClass;
  featureVersion: number;
  modelVersion: string;
  source: SampleSource;
  /** A finite score in the labeller's scale, or null when it gave none. */
  threatScore: number | null;
}

/** How a retrain ended: its candidate replaced CURRENT, or the promotion rule refused it. */
export const RETRAIN_OUTCOMES = ['promoted', 'rejected'] as const;
export type RetrainOutcome = (typeof RETRAIN_OUTCOMES)[number];

/**
 * One retrain, as the history keeps it (`vigil models list` shows these). Per-class metrics
 * are arrays in THREAT_CLASSES order, measured on the hold-out that was never trained on.
 */
export interface RetrainRun {
  /** Unique per attempt: the scheduler's job id plus the start time. */
  runId: string;
  /** When the retrain started, epoch ms. */
  ts: number;
  finishedAt: number;
  /** Why it ran: the scheduler's reasons (`new-samples: 1200 >= 1000`, ...). */
  triggers: string[];
  /** Rows of the base data set (training and early-stopping rows, before balancing). */
  baseRows: number;
  /** Collected training samples trained on. */
  sampleRows: number;
  candidateVersion: string;
  /** CURRENT when the retrain started, or null when there was none. */
  parentVersion: string | null;
  outcome: RetrainOutcome;
  /** The promotion rule's verdict, in words. */
  reason: string;
  holdoutRows: number;
  macroF1: number;
  /** The parent's macro-F1 on the same hold-out; null without a parent. */
  parentMacroF1: number | null;
  /** macroF1 - parentMacroF1; null without a parent. */
  macroF1Gain: number | null;
  benignFPR: number;
  precision: number[];
  recall: number[];
  f1: number[];
}

/** The row type of each table. */
export interface OfflineRows {
  events: EventRow;
  feature_vectors: FeatureVectorRow;
  verdicts: Verdict;
  training_samples: TrainingSample;
  retrain_runs: RetrainRun;
}
export type OfflineTable = keyof OfflineRows;
export const OFFLINE_TABLES: readonly OfflineTable[] = ['events', 'feature_vectors', 'verdicts', 'training_samples', 'retrain_runs'];

/** Which rows a scan or count reads. Every bound is optional. */
export interface ScanRange {
  /** Only this key (the table's key column). */
  key?: string;
  /** Inclusive lower bound on ts, epoch ms. */
  fromMs?: number;
  /** Exclusive upper bound on ts, epoch ms. */
  toMs?: number;
}

export interface ScanOptions {
  /** Most rows per yielded batch. Default `SCAN_DEFAULTS.batchSize`. */
  batchSize?: number;
}
export const SCAN_DEFAULTS = Object.freeze({ batchSize: 5_000 });

export interface VectorLookup {
  eventId: string;
  /** Latest ts the vector may have, epoch ms: the time of the label. */
  asOfMs: number;
  /**
   * The event's source IP, if known. Optional for the answer, but on ClickHouse it lets the
   * primary index (key, ts) skip data; without it every part of the table is read.
   */
  key?: string;
}

export interface AppliedMigration {
  version: number;
  name: string;
  /** sha256 of the migration's statements as written in the repository. */
  checksum: string;
  appliedAtMs: number;
}

export interface MigrationReport {
  /** Versions applied by this call, in order; empty when the schema was up to date. */
  applied: number[];
  /** The schema version after the call. */
  version: number;
}
