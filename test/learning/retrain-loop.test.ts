/**
 * The retraining loop on the real services (Kafka, Redis, ClickHouse), wired by startLearn as
 * `vigil learn` wires it: labels produced to the labels topic are joined with the vectors
 * "serve" stored, the sample-count trigger (scaled down to 50) enqueues a retrain on BullMQ,
 * and the retrainer trains on real CICIDS2017 rows.
 *   (a) from a deliberately weak CURRENT, a better candidate is promoted, PREVIOUS keeps the
 *       weak one, and a running RegistryModelProvider switches to it;
 *   (b) labels that contradict the flows make a worse candidate: rejected with the reason,
 *       CURRENT unchanged, the provider keeps serving;
 *   (c) both runs are rows of retrain_runs in ClickHouse, and `vigil models list` shows them.
 * The tests of this file run in order and share the loop's state.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLabeledFlows } from '../../src/datasets/labeled-flows.js';
import { openLabelProducer } from '../../src/kafka/label-topic.js';
import type { LabelInput } from '../../src/kafka/label-codec.js';
import { parseLearnSettings } from '../../src/learning/learn-settings.js';
import { startLearn, type LearnHandle } from '../../src/learning/learn-service.js';
import type { RetrainRecord } from '../../src/learning/retrain-scheduler.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { ModelRegistry } from '../../src/registry/model-registry.js';
import { readPointer } from '../../src/registry/pointers.js';
import { RegistryModelProvider } from '../../src/registry/registry-model-provider.js';
import { ClickHouseOfflineStore } from '../../src/store/clickhouse/clickhouse-offline-store.js';
import type { RetrainRun } from '../../src/store/offline-store.js';
import { deleteTopics, ensureBroker, randomName, testKafka, BROKERS } from '../kafka/broker.js';
import { adminClient, CLICKHOUSE_URL, ensureClickHouse, randomDatabase } from '../offline/clickhouse-test-server.js';
import { deleteKeys, REDIS_URL, testClient } from '../store/redis-test-client.js';
import { scoredPool, weakRegistry, writeRetrainData, type RetrainData, type ScoredFlow } from './retrain-fixture.js';

const VIGIL = join(PACKAGE_ROOT, 'bin', 'vigil.js');
const THRESHOLD = 50;

let kafka: Kafka;
let redis: Redis;
let data: RetrainData;
let modelsDir: string;
let store: ClickHouseOfflineStore;
let handle: LearnHandle | undefined;
let provider: RegistryModelProvider | undefined;
const database = randomDatabase();
const prefix = `vigil-test-${randomBytes(5).toString('hex')}`;
const topics = { labels: randomName('vigil-test-learn-labels'), dlq: randomName('vigil-test-learn-dlq') };
let pool: ScoredFlow[];
let firstCandidate: string;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Stores the flows' vectors as serve would, then produces one label per flow. */
async function scoreAndLabel(flows: readonly ScoredFlow[], label: (f: ScoredFlow) => LabelInput['label']): Promise<void> {
  const labelTs = Date.now();
  await store.insertFeatureVectors(flows.map((f) => ({ ...f.vector, ts: labelTs - 1_000 })));
  const producer = await openLabelProducer(kafka, { topic: topics.labels, format: { type: 'json' } });
  try {
    await producer.send(flows.map((f) => ({ event_key: f.vector.eventId, label: label(f), source: 'analyst', ts: labelTs })));
  } finally {
    await producer.close();
  }
}

async function history(): Promise<RetrainRun[]> {
  const runs: RetrainRun[] = [];
  for await (const batch of store.scan('retrain_runs')) runs.push(...batch);
  return runs;
}

/** The next retrain record after `previous` (null: the first). */
function nextRetrain(previous: RetrainRecord | null): Promise<RetrainRecord> {
  return waitFor('a retrain to finish', async () => {
    const last = await handle!.scheduler.lastRetrain();
    return last !== null && last.atMs !== previous?.atMs ? last : undefined;
  });
}

beforeAll(async () => {
  await Promise.all([ensureBroker(), ensureClickHouse()]);
  kafka = testKafka();
  redis = testClient();
  data = writeRetrainData({ base: 300, holdout: 150, pool: 100 });
  modelsDir = await weakRegistry(await loadLabeledFlows([data.base]), 300);
  pool = await scoredPool(data.pool, 'evt', 0, 'weak');
  store = new ClickHouseOfflineStore({ url: CLICKHOUSE_URL, database });
  await store.migrate();
  const settings = parseLearnSettings({}, {
    brokers: BROKERS,
    labelsTopic: topics.labels,
    dlqTopic: topics.dlq,
    groupId: randomName('vigil-test-learn'),
    redisUrl: REDIS_URL,
    queuePrefix: prefix,
    offlineStore: CLICKHOUSE_URL,
    clickhouseDatabase: database,
    modelsDir,
    baseData: [data.base],
    holdoutData: [data.holdout],
    minNewSamples: THRESHOLD,
    checkEveryMs: 250,
    maxEpochs: 15,
    patience: 4,
  });
  handle = await startLearn(settings, { kafka });
  provider = await RegistryModelProvider.open({ modelsDir, env: {} });
}, 240_000);

afterAll(async () => {
  provider?.close();
  await handle?.stop();
  await store?.close();
  const admin = adminClient();
  await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await admin.close();
  await deleteTopics(kafka, Object.values(topics));
  await deleteKeys(redis, prefix);
  redis.disconnect();
  rmSync(data.dir, { recursive: true, force: true });
  rmSync(dirname(modelsDir), { recursive: true, force: true });
}, 120_000);

describe('vigil learn: labels -> samples -> trigger -> retrain -> promotion', () => {
  it('(a) promotes a better model than the weak CURRENT, and the running provider switches to it', async () => {
    expect(provider!.current().version).toBe('weak');
    // 60 flows spread over the pool's classes, labelled with their true class.
    const first = pool.filter((_, i) => i % Math.floor(pool.length / 60) === 0).slice(0, 60);
    await scoreAndLabel(first, (f) => f.label);
    // A label of an event serve never scored is dead-lettered, not a sample.
    const producer = await openLabelProducer(kafka, { topic: topics.labels, format: { type: 'json' } });
    await producer.send([{ event_key: 'never-scored', label: 'dos', source: 'analyst', ts: Date.now() }]);
    await producer.close();

    const record = await nextRetrain(null);
    // The weak model called every flow normal, so the override rule fires beside the count rule.
    expect(record.reasons).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`^new-samples: \\d+ >= ${THRESHOLD}$`))]));
    expect(handle!.collector.counters()).toMatchObject({ collected: 60, unknownEvent: 1 });

    firstCandidate = readPointer(modelsDir, 'current')!;
    expect(firstCandidate).not.toBe('weak');
    expect(readPointer(modelsDir, 'previous')).toBe('weak');
    const info = new ModelRegistry({ modelsDir }).show(firstCandidate);
    expect(info).toMatchObject({ status: 'current', parent: 'weak' });

    const [run] = await history();
    expect(run).toMatchObject({ candidateVersion: firstCandidate, parentVersion: 'weak', outcome: 'promoted', triggers: record.reasons });
    // The trigger fires at 50; the 60 labels usually arrive in one batch, but may not.
    expect(run!.sampleRows).toBeGreaterThanOrEqual(THRESHOLD);
    expect(run!.sampleRows).toBeLessThanOrEqual(60);
    expect(run!.macroF1Gain!).toBeGreaterThanOrEqual(0.02);
    expect(run!.macroF1).toBeCloseTo(info.holdout!.macroF1, 12);

    const refreshed = await provider!.refresh();
    expect(refreshed).toMatchObject({ outcome: 'switched', from: 'weak', serving: firstCandidate });
    expect(provider!.current().version).toBe(firstCandidate);
  }, 240_000);

  it('(b) rejects a candidate trained on contradicting labels: CURRENT unchanged, the rejection recorded', async () => {
    const before = await handle!.scheduler.lastRetrain();
    // The rest of the pool, with normal flows labelled dos and attacks labelled normal.
    const rest = pool.filter((_, i) => i % Math.floor(pool.length / 60) !== 0);
    await scoreAndLabel(rest, (f) => (f.label === 'normal' ? 'dos' : 'normal'));

    await nextRetrain(before);
    expect(readPointer(modelsDir, 'current')).toBe(firstCandidate);
    expect(readPointer(modelsDir, 'previous')).toBe('weak');
    const runs = await history();
    expect(runs).toHaveLength(2);
    const rejected = runs[1]!;
    expect(rejected).toMatchObject({ parentVersion: firstCandidate, outcome: 'rejected', sampleRows: 60 + rest.length });
    expect(rejected.reason).toMatch(/needs \+0\.0200|may drop at most 0\.0100/);
    const info = new ModelRegistry({ modelsDir }).show(rejected.candidateVersion);
    expect(info.status).toBe('rejected');
    expect(info.record.rejection?.reason).toBe(rejected.reason);

    expect(await provider!.refresh()).toEqual({ outcome: 'unchanged', serving: firstCandidate });
  }, 240_000);

  it('(c) `vigil models list` shows the history from ClickHouse, with per-class recall and the gain', async () => {
    const runs = await history();
    const args = ['models', 'list', '--models-dir', modelsDir, '--offline-store', CLICKHOUSE_URL, '--clickhouse-database', database];
    const { stdout } = await promisify(execFile)(process.execPath, [VIGIL, ...args], { cwd: PACKAGE_ROOT });
    const all = stdout.split('\n');
    // The registry's table first (the rejected version is a row there too), then the history.
    const lines = all.slice(all.indexOf('retrain history'));
    expect(lines.length).toBeLessThan(all.length);
    expect(all[0]).toMatch(/^\s+version\s+status/);
    expect(lines.find((l) => l.startsWith('started'))).toMatch(/candidate\s+parent\s+outcome\s+macro-F1\s+gain\s+nor-rec\s+dos-rec\s+rec-rec\s+bf-rec\s+web-rec\s+bot-rec\s+int-rec\s+samples\s+triggers/);
    const promoted = lines.find((l) => l.includes(runs[0]!.candidateVersion) && l.includes('promoted'));
    expect(promoted).toContain(`+${runs[0]!.macroF1Gain!.toFixed(4)}`);
    expect(promoted).toMatch(new RegExp(runs[0]!.recall.map((r) => r.toFixed(3).replace('.', '\\.')).join('\\s+')));
    const at = lines.findIndex((l) => l.includes(runs[1]!.candidateVersion) && l.includes('rejected'));
    expect(at).toBeGreaterThan(1);
    expect(lines[at + 1]).toBe(`    rejected: ${runs[1]!.reason}`);

    const json = await promisify(execFile)(process.execPath, [VIGIL, ...args, '--json'], { cwd: PACKAGE_ROOT });
    const parsed = JSON.parse(json.stdout) as { versions: { version: string; status: string }[]; history: RetrainRun[] };
    expect(parsed.history).toEqual(runs);
    expect(parsed.versions.map((v) => [v.version, v.status]).sort()).toEqual(
      [['weak', 'previous'], [runs[0]!.candidateVersion, 'current'], [runs[1]!.candidateVersion, 'rejected']].sort(),
    );
  }, 60_000);
});
