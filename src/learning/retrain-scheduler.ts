/**
 * The retrain scheduler: decides when to retrain (retrain-triggers.ts) and makes sure one
 * retrain runs for each decision, however many vigil instances check at once.
 *
 * Each `check()`:
 *   1. reads the last retrain record from Redis (time, reasons, job id);
 *   2. measures, in the offline store, the samples since that time and the override rate of
 *      the recent window (never reaching back before that time: samples the last retrain
 *      already learned from must not make it fire again);
 *   3. if a rule fires, adds one job to a BullMQ queue with the job id `retrain-<last time>`.
 *      Every instance that sees the same last retrain derives the same id, and BullMQ keeps
 *      one job per id, so N instances checking together enqueue one job.
 * Each instance's worker (after `start()`) takes jobs one at a time, and the queue's global
 * concurrency of 1 keeps a second instance's worker from running another at the same time.
 * A job whose window is stale (a retrain finished after it was enqueued) is skipped: an
 * instance that read the old record just before the new one was written re-adds the old id
 * once its job has been removed. After `retrain(job)` resolves, the worker writes the new
 * record, so a restarted instance measures from it. Jobs live in Redis: one enqueued by an
 * instance that then stopped is run by the next worker that starts.
 *
 * At least once, not exactly once: if an instance dies during a retrain, or between the
 * retrain and the record write, BullMQ hands the stalled job to another worker once its lock
 * lapses, and that retrain runs again. The retrainer must tolerate that (registering a
 * second candidate model is harmless; promotion decides).
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { ConfigError, VigilError } from '../errors/vigil-error.js';
import type { OfflineStore } from '../store/offline-store.js';
import { childLogger } from '../telemetry/logger.js';
import {
  evaluateTriggers,
  resolveRetrainTriggerConfig,
  type RetrainStats,
  type RetrainTriggerConfig,
  type RetrainTriggerOptions,
  type TriggerDecision,
} from './retrain-triggers.js';

/** A retrain failed, or its record could not be read or written. */
export class RetrainSchedulerError extends VigilError {}

/** What a retrain job carries (JSON in Redis). */
export interface RetrainJobData {
  /** The last retrain's time when the job was enqueued (null: none yet); names the window. */
  windowStartMs: number | null;
  /** When the triggers fired, epoch ms. */
  triggeredAtMs: number;
  reasons: string[];
}

/** What the injected retrainer receives. */
export interface RetrainJob {
  id: string;
  data: RetrainJobData;
  /** When this retrain started, epoch ms: samples with ts >= this count towards the next one. */
  startedAtMs: number;
}

/** Trains, evaluates and registers a model (training/). Rejecting fails the attempt. */
export type Retrain = (job: RetrainJob) => Promise<void>;

/** The last completed retrain, as kept in Redis. */
export interface RetrainRecord {
  atMs: number;
  reasons: string[];
  jobId: string;
}

export interface CheckResult {
  stats: RetrainStats;
  decision: TriggerDecision;
  /** The id of the job this check added or found already queued; null when nothing fired. */
  jobId: string | null;
}

export const RETRAIN_SCHEDULER_DEFAULTS = Object.freeze({
  queueName: 'vigil-retrain',
  /** Namespace of every Redis key the scheduler and its queue use. */
  prefix: 'vigil',
  /** The triggers move over hours and days: a minute between checks is prompt enough. */
  checkEveryMs: 60_000,
  /** A retrain that failed for a passing reason (store away) is tried again... */
  attempts: 3,
  /** ...after 1, then 2 minutes. */
  backoffMs: 60_000,
  /** Finished jobs kept for inspection. */
  keepCompleted: 100,
});

const SettingsSchema = z.strictObject({
  redisUrl: z.string().regex(/^rediss?:\/\//, { error: 'write the Redis address as a URL, e.g. "redis://127.0.0.1:6379"' }),
  queueName: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, { error: 'a queue name is letters, digits, ".", "_" or "-" (BullMQ forbids ":")' })
    .default(RETRAIN_SCHEDULER_DEFAULTS.queueName),
  prefix: z.string().min(1).default(RETRAIN_SCHEDULER_DEFAULTS.prefix),
  checkEveryMs: z.number().int().positive().default(RETRAIN_SCHEDULER_DEFAULTS.checkEveryMs),
  attempts: z.number().int().positive().default(RETRAIN_SCHEDULER_DEFAULTS.attempts),
  backoffMs: z.number().int().min(0).default(RETRAIN_SCHEDULER_DEFAULTS.backoffMs),
  keepCompleted: z.number().int().min(0).default(RETRAIN_SCHEDULER_DEFAULTS.keepCompleted),
});
type Settings = z.output<typeof SettingsSchema>;

export interface RetrainSchedulerOptions extends z.input<typeof SettingsSchema> {
  /** Where samples are counted. */
  store: Pick<OfflineStore, 'count' | 'scan'>;
  retrain: Retrain;
  triggers?: RetrainTriggerOptions;
  /** Epoch ms now; injected so tests control time. Default Date.now. */
  clock?: () => number;
  /** Receives failed checks of the timer, failed retrains and queue errors. Default: logged. */
  onError?: (error: VigilError) => void;
}

const log = childLogger('retrain-scheduler');

function resolveSettings(options: RetrainSchedulerOptions): Settings {
  const { store: _store, retrain: _retrain, triggers: _triggers, clock: _clock, onError: _onError, ...plain } = options;
  const parsed = SettingsSchema.safeParse(plain);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ');
    throw new ConfigError(`RetrainScheduler: ${issues}`);
  }
  return parsed.data;
}

/** The job id of the window that opened at `windowStartMs`. */
export function retrainJobId(windowStartMs: number | null): string {
  return `retrain-${windowStartMs ?? 'never'}`;
}

/**
 * The stats the triggers need, as of `nowMs`: samples since the last retrain, and the
 * overrides among the latest `maxSamples` of the recent window (clipped to the last retrain).
 */
export async function readRetrainStats(
  store: Pick<OfflineStore, 'count' | 'scan'>,
  lastRetrainAtMs: number | null,
  config: RetrainTriggerConfig,
  nowMs: number,
): Promise<RetrainStats> {
  const since = lastRetrainAtMs ?? 0;
  const newSamples = await store.count('training_samples', { fromMs: since, toMs: nowMs + 1 });
  const { windowMs, maxSamples } = config.overrideRate;
  // A ring of the latest maxSamples outcomes: the scan runs oldest first.
  const overridden = new Array<boolean>(maxSamples);
  let seen = 0;
  const range = { fromMs: Math.max(since, nowMs - windowMs), toMs: nowMs + 1 };
  for await (const batch of store.scan('training_samples', range)) {
    for (const sample of batch) overridden[seen++ % maxSamples] = sample.label !== sample.mlLabel;
  }
  const recentSamples = Math.min(seen, maxSamples);
  let recentOverrides = 0;
  for (let i = 0; i < recentSamples; i++) if (overridden[i] === true) recentOverrides++;
  return { lastRetrainAtMs, newSamples, recentSamples, recentOverrides };
}

export class RetrainScheduler {
  readonly #settings: Settings;
  readonly #triggers: RetrainTriggerConfig;
  readonly #store: RetrainSchedulerOptions['store'];
  readonly #retrain: Retrain;
  readonly #clock: () => number;
  readonly #onError: (error: VigilError) => void;
  readonly #redis: Redis;
  readonly #queue: Queue<RetrainJobData>;
  readonly #recordKey: string;
  #worker: Worker<RetrainJobData> | undefined;
  #started = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: RetrainSchedulerOptions) {
    this.#settings = resolveSettings(options);
    this.#triggers = resolveRetrainTriggerConfig(options.triggers);
    this.#store = options.store;
    this.#retrain = options.retrain;
    this.#clock = options.clock ?? Date.now;
    this.#onError = options.onError ?? ((error) => log.error({ err: error }, error.message));
    const { redisUrl, prefix, queueName } = this.#settings;
    this.#redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    this.#queue = new Queue<RetrainJobData>(queueName, { connection: { url: redisUrl }, prefix });
    this.#queue.on('error', (error) => this.#onError(new RetrainSchedulerError(`RetrainScheduler: queue: ${error.message}`, { retriable: true, cause: error })));
    this.#recordKey = `${prefix}:${queueName}:last-retrain`;
  }

  /** The last completed retrain, or null before the first. */
  async lastRetrain(): Promise<RetrainRecord | null> {
    const fields = await this.#redis.hgetall(this.#recordKey);
    if (fields.atMs === undefined) return null;
    const atMs = Number(fields.atMs);
    const malformed = (cause?: unknown) =>
      new RetrainSchedulerError(`RetrainScheduler.lastRetrain: ${this.#recordKey} is not a retrain record: ${JSON.stringify(fields)}`, { cause });
    let reasons: unknown;
    try {
      reasons = JSON.parse(fields.reasons ?? 'null');
    } catch (error) {
      throw malformed(error);
    }
    if (!Number.isSafeInteger(atMs) || !Array.isArray(reasons) || fields.jobId === undefined) throw malformed();
    return { atMs, reasons: reasons.map(String), jobId: fields.jobId };
  }

  async readStats(nowMs = this.#clock()): Promise<RetrainStats> {
    const last = await this.lastRetrain();
    return readRetrainStats(this.#store, last?.atMs ?? null, this.#triggers, nowMs);
  }

  /** Evaluates the triggers now and, if one fires, enqueues the window's job (once across instances). */
  async check(): Promise<CheckResult> {
    const nowMs = this.#clock();
    const stats = await this.readStats(nowMs);
    const decision = evaluateTriggers(stats, this.#triggers, nowMs);
    if (!decision.fire) return { stats, decision, jobId: null };
    const jobId = retrainJobId(stats.lastRetrainAtMs);
    const data: RetrainJobData = { windowStartMs: stats.lastRetrainAtMs, triggeredAtMs: nowMs, reasons: decision.reasons };
    await this.#queue.add('retrain', data, {
      jobId,
      attempts: this.#settings.attempts,
      backoff: { type: 'exponential', delay: this.#settings.backoffMs },
      removeOnComplete: { count: this.#settings.keepCompleted },
      // Removed once it finally failed, so the next check can enqueue the window again.
      removeOnFail: true,
    });
    return { stats, decision, jobId };
  }

  /** Starts this instance's worker and the periodic check. */
  async start(): Promise<void> {
    // Set before the first await, so two concurrent calls cannot start two workers.
    if (this.#started) return;
    this.#started = true;
    await this.#queue.setGlobalConcurrency(1);
    const { redisUrl, prefix, queueName } = this.#settings;
    this.#worker = new Worker<RetrainJobData>(queueName, (job) => this.#process(job), {
      // BullMQ's blocking connection must wait for jobs indefinitely.
      connection: { url: redisUrl, maxRetriesPerRequest: null },
      prefix,
      concurrency: 1,
    });
    this.#worker.on('failed', (job, error) =>
      this.#onError(new RetrainSchedulerError(`RetrainScheduler: retrain job ${job?.id ?? '?'} failed: ${error.message}`, { retriable: true, cause: error })),
    );
    this.#worker.on('error', (error) => this.#onError(new RetrainSchedulerError(`RetrainScheduler: worker: ${error.message}`, { retriable: true, cause: error })));
    this.#timer = setInterval(() => {
      this.check().catch((error: unknown) =>
        this.#onError(error instanceof VigilError ? error : new RetrainSchedulerError('RetrainScheduler: check failed', { retriable: true, cause: error })),
      );
    }, this.#settings.checkEveryMs);
    this.#timer.unref();
  }

  /** Stops the timer, lets a running retrain finish, and closes every connection. */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.#worker?.close();
    await this.#queue.close();
    this.#redis.disconnect();
  }

  async #process(job: Job<RetrainJobData>): Promise<{ ran: boolean }> {
    const last = await this.lastRetrain();
    if ((last?.atMs ?? null) !== job.data.windowStartMs) {
      log.info({ jobId: job.id, windowStartMs: job.data.windowStartMs, lastRetrainAtMs: last?.atMs }, 'skipping a retrain of a window that was already retrained');
      return { ran: false };
    }
    const id = job.id ?? retrainJobId(job.data.windowStartMs);
    const startedAtMs = this.#clock();
    await this.#retrain({ id, data: job.data, startedAtMs });
    await this.#redis.hset(this.#recordKey, { atMs: String(startedAtMs), reasons: JSON.stringify(job.data.reasons), jobId: id });
    return { ran: true };
  }
}
