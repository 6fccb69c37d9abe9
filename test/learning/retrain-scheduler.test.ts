import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, type VigilError } from '../../src/errors/vigil-error.js';
import {
  RETRAIN_SCHEDULER_DEFAULTS,
  type RetrainJob,
  RetrainScheduler,
  RetrainSchedulerError,
  type RetrainSchedulerOptions,
  retrainJobId,
} from '../../src/learning/retrain-scheduler.js';
import { ruleOf } from '../../src/learning/retrain-triggers.js';
import type { TrainingSample } from '../../src/store/offline-store.js';
import { SqliteOfflineStore } from '../../src/store/sqlite/sqlite-offline-store.js';
import { deleteKeys, randomPrefix, REDIS_URL, testClient } from '../store/redis-test-client.js';

const T0 = 1_800_000_000_000;
const HOUR_MS = 3_600_000;

/** `n` samples labelled at t, t+1, ...; the first `overrides` disagree with the model. */
function samples(n: number, fromMs: number, overrides = 0): TrainingSample[] {
  return Array.from({ length: n }, (_, i) => ({
    eventKey: `e-${fromMs}-${i}`,
    ts: fromMs + i,
    features: [i, 1],
    label: i < overrides ? 'dos' : 'normal',
    mlLabel: 'normal',
    featureVersion: 1,
    modelVersion: 'v1',
    source: 'analyst',
    threatScore: null,
  }));
}

async function waitFor<T>(probe: () => Promise<T | null | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

let redis: Redis;
let dir: string;
let store: SqliteOfflineStore;
let prefix: string;
let now: number;
let ran: RetrainJob[];
let running: number;
let maxRunning: number;
let errors: VigilError[];
const schedulers: RetrainScheduler[] = [];

/** A retrainer that takes a little while, so overlapping runs would be seen. */
async function recordingRetrain(job: RetrainJob): Promise<void> {
  running++;
  maxRunning = Math.max(maxRunning, running);
  ran.push(job);
  await new Promise((resolve) => setTimeout(resolve, 100));
  running--;
}

function scheduler(overrides: Partial<RetrainSchedulerOptions> = {}): RetrainScheduler {
  const s = new RetrainScheduler({
    redisUrl: REDIS_URL,
    prefix,
    store,
    retrain: recordingRetrain,
    clock: () => now,
    onError: (error) => errors.push(error),
    ...overrides,
  });
  schedulers.push(s);
  return s;
}

beforeAll(() => {
  redis = testClient();
});
afterAll(() => {
  redis.disconnect();
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-retrain-'));
  store = new SqliteOfflineStore({ path: join(dir, 'offline.sqlite') });
  await store.migrate();
  prefix = randomPrefix().slice(0, -1);
  now = T0;
  ran = [];
  running = 0;
  maxRunning = 0;
  errors = [];
});

afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.close()));
  await deleteKeys(redis, prefix);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  expect(errors).toEqual([]);
});

describe('RetrainScheduler', () => {
  it('enqueues nothing while no rule fires', async () => {
    await store.insertTrainingSamples(samples(999, T0 - HOUR_MS));
    const result = await scheduler().check();
    expect(result).toMatchObject({ decision: { fire: false, reasons: [] }, jobId: null, stats: { lastRetrainAtMs: null, newSamples: 999 } });
  });

  it('runs one retrain when two instances check at the same time', async () => {
    await store.insertTrainingSamples(samples(1000, T0 - HOUR_MS));
    const a = scheduler();
    const b = scheduler();
    await Promise.all([a.start(), b.start()]);
    const [fromA, fromB] = await Promise.all([a.check(), b.check()]);
    expect(fromA.jobId).toBe(retrainJobId(null));
    expect(fromB.jobId).toBe(fromA.jobId);

    const record = await waitFor(() => a.lastRetrain(), 'the retrain record');
    expect(record).toEqual({ atMs: T0, reasons: ['new-samples: 1000 >= 1000'], jobId: 'retrain-never' });
    // Both instances check again, still seeing the same samples: the window moved, nothing is due.
    const [againA, againB] = await Promise.all([a.check(), b.check()]);
    expect([againA.jobId, againB.jobId]).toEqual([null, null]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ran.map((job) => job.id)).toEqual(['retrain-never']);
    expect(maxRunning).toBe(1);
  });

  it('skips a job of a window that was retrained after it was enqueued', async () => {
    await store.insertTrainingSamples(samples(1000, T0 - HOUR_MS));
    const s = scheduler({ keepCompleted: 0 });
    await s.start();
    await s.check();
    const record = await waitFor(() => s.lastRetrain(), 'the first retrain');
    // What an instance that read the record just before it changed adds, once the job is gone.
    const queue = new Queue(RETRAIN_SCHEDULER_DEFAULTS.queueName, { connection: { url: REDIS_URL }, prefix });
    try {
      expect(await queue.getJob(retrainJobId(null))).toBeUndefined();
      await queue.add('retrain', { windowStartMs: null, triggeredAtMs: T0, reasons: ['new-samples: 1000 >= 1000'] }, { jobId: retrainJobId(null) });
      const finished = await waitFor(async () => {
        const job = await queue.getJob(retrainJobId(null));
        return job !== undefined && (await job.getState()) === 'completed' ? job : null;
      }, 'the stale job to finish');
      expect(finished.returnvalue).toEqual({ ran: false });
    } finally {
      await queue.close();
    }
    expect(ran).toHaveLength(1);
    expect(await s.lastRetrain()).toEqual(record);
  });

  it('runs a job enqueued by an instance that closed before running it', async () => {
    await store.insertTrainingSamples(samples(100, T0 - HOUR_MS, 40));
    const first = scheduler();
    const enqueued = await first.check();
    expect(enqueued.decision.reasons.map(ruleOf)).toEqual(['override-rate']);
    await first.close();
    schedulers.splice(schedulers.indexOf(first), 1);
    expect(ran).toEqual([]);

    const second = scheduler();
    await second.start();
    const record = await waitFor(() => second.lastRetrain(), 'the retrain record');
    expect(ran).toHaveLength(1);
    expect(ran[0]).toMatchObject({ id: enqueued.jobId, startedAtMs: T0, data: { windowStartMs: null, triggeredAtMs: T0, reasons: enqueued.decision.reasons } });
    expect(record.reasons).toEqual(['override-rate: 40/100 = 0.400 > 0.15']);
  });

  it('measures the count rule from the persisted last retrain time, across a restart', async () => {
    await store.insertTrainingSamples(samples(1500, T0 - HOUR_MS));
    const first = scheduler();
    await first.start();
    await first.check();
    const record = await waitFor(() => first.lastRetrain(), 'the retrain record');
    expect(record.atMs).toBe(T0);
    await first.close();
    schedulers.splice(schedulers.indexOf(first), 1);

    now = T0 + HOUR_MS;
    const restarted = scheduler();
    await store.insertTrainingSamples(samples(999, T0 + 1));
    expect(await restarted.check()).toMatchObject({ jobId: null, stats: { lastRetrainAtMs: T0, newSamples: 999 } });
    await store.insertTrainingSamples(samples(1, T0 + 5_000));
    const due = await restarted.check();
    expect(due).toMatchObject({ jobId: retrainJobId(T0), stats: { newSamples: 1000 }, decision: { reasons: ['new-samples: 1000 >= 1000'] } });
  });

  it('fires the age rule a week after the last retrain', async () => {
    await store.insertTrainingSamples(samples(1000, T0 - HOUR_MS));
    const s = scheduler();
    await s.start();
    await s.check();
    await waitFor(() => s.lastRetrain(), 'the retrain record');
    now = T0 + 7 * 24 * HOUR_MS - 1;
    expect((await s.check()).jobId).toBeNull();
    now += 1;
    expect((await s.check()).decision.reasons.map(ruleOf)).toEqual(['age']);
  });

  it('reads the override rate from the latest samples of the window since the last retrain', async () => {
    const s = scheduler({ triggers: { overrideRate: { windowMs: HOUR_MS, maxSamples: 100, minSamples: 10 } } });
    // Outside the window: all overridden, must not count.
    await store.insertTrainingSamples(samples(50, T0 - 2 * HOUR_MS, 50));
    // In the window, oldest first: 100 with 30 overrides, then 100 with 5: only the latest 100 count.
    await store.insertTrainingSamples(samples(100, T0 - 30 * 60_000, 30));
    await store.insertTrainingSamples(samples(100, T0 - 10 * 60_000, 5));
    expect(await s.readStats()).toEqual({ lastRetrainAtMs: null, newSamples: 250, recentSamples: 100, recentOverrides: 5 });
  });

  it('reports a failed retrain and enqueues the window again on the next check', async () => {
    await store.insertTrainingSamples(samples(1000, T0 - HOUR_MS));
    let fail = true;
    const s = scheduler({
      attempts: 1,
      retrain: async (job) => {
        if (fail) throw new Error('store away');
        await recordingRetrain(job);
      },
    });
    await s.start();
    await s.check();
    await waitFor(async () => (errors.length > 0 ? true : null), 'the failure report');
    expect(errors.map((e) => [e.name, e.retriable, (e.cause as Error).message])).toEqual([['RetrainSchedulerError', true, 'store away']]);
    errors.length = 0;
    expect(await s.lastRetrain()).toBeNull();
    fail = false;
    await s.check();
    await waitFor(() => s.lastRetrain(), 'the retried retrain');
    expect(ran.map((job) => job.id)).toEqual([retrainJobId(null)]);
  });

  it('refuses a last-retrain record it cannot read instead of treating it as none', async () => {
    await redis.hset(`${prefix}:${RETRAIN_SCHEDULER_DEFAULTS.queueName}:last-retrain`, { atMs: String(T0), reasons: '[not json', jobId: 'retrain-never' });
    await expect(scheduler().check()).rejects.toThrow(RetrainSchedulerError);
  });

  it('rejects bad settings at construction', () => {
    expect(() => scheduler({ queueName: 'a:b' })).toThrow(ConfigError);
    expect(() => scheduler({ redisUrl: '127.0.0.1:6379' })).toThrow(/redisUrl/);
    expect(() => scheduler({ triggers: { minNewSamples: -1 } })).toThrow(/minNewSamples/);
  });
});
