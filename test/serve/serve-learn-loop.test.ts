/**
 * The whole loop users run, on the real broker, Redis and ClickHouse: `vigil serve` (a child
 * process following the registry) scores CICIDS2017 flows from the input topic and records
 * each scored vector; analysts' labels go to the labels topic; `vigil learn` (startLearn, as
 * the command wires it) joins them with those vectors, the sample-count rule (scaled down to
 * 50) retrains, the better candidate is promoted, and the running engine scores the next
 * flows with it without a restart.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLabeledFlows } from '../../src/datasets/labeled-flows.js';
import type { FlowEvent } from '../../src/events/flow-event.js';
import { classOfLabel } from '../../src/events/threat-classes.js';
import { openLabelProducer } from '../../src/kafka/label-topic.js';
import { parseLearnSettings } from '../../src/learning/learn-settings.js';
import { startLearn, type LearnHandle } from '../../src/learning/learn-service.js';
import { readPointer } from '../../src/registry/pointers.js';
import { readFlows } from '../../src/sources/read-events.js';
import { ClickHouseOfflineStore } from '../../src/store/clickhouse/clickhouse-offline-store.js';
import { BROKERS, deleteTopics, randomName, waitFor } from '../kafka/broker.js';
import { weakRegistry, writeRetrainData, type RetrainData } from '../learning/retrain-fixture.js';
import { adminClient, CLICKHOUSE_URL, ensureClickHouse, randomDatabase } from '../offline/clickhouse-test-server.js';
import { deleteKeys, REDIS_URL } from '../store/redis-test-client.js';
import { collectVerdicts, produceFlows, spawnServe, useServeFixture, type VerdictCollector } from './serve-harness.js';

const fixture = useServeFixture('vigil-test-loop', 2);
const database = randomDatabase();
const queuePrefix = randomName('vigil-test-loop-queue');
const labelsTopic = randomName('vigil-test-loop-labels');
const labelsDlq = randomName('vigil-test-loop-labels-dlq');
let data: RetrainData;
let modelsDir: string;
let pool: FlowEvent[];
let learn: LearnHandle | undefined;
let verdicts: VerdictCollector;
let store: ClickHouseOfflineStore;

beforeAll(async () => {
  await ensureClickHouse();
  data = writeRetrainData({ base: 300, holdout: 150, pool: 100 });
  modelsDir = await weakRegistry(await loadLabeledFlows([data.base]), 300);
  pool = (await readFlows(data.pool)).events;
  store = new ClickHouseOfflineStore({ url: CLICKHOUSE_URL, database });
}, 240_000);

afterAll(async () => {
  await learn?.stop();
  await verdicts?.close();
  await store?.close();
  const admin = adminClient();
  await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await admin.close();
  await deleteKeys(fixture.redis, queuePrefix);
  await deleteTopics(fixture.kafka, [labelsTopic, labelsDlq]);
  rmSync(data.dir, { recursive: true, force: true });
  rmSync(dirname(modelsDir), { recursive: true, force: true });
}, 120_000);

describe('serve + learn: flows -> verdicts -> labels -> retrain -> promotion -> the running engine scores with it', () => {
  it('closes the loop without a restart', async () => {
    expect(pool.length).toBeGreaterThanOrEqual(100);
    const serve = spawnServe([
      '--group', randomName('vigil-test-loop-group'),
      '--input-topic', fixture.topics.flows,
      '--verdict-topic', fixture.topics.verdicts,
      '--dlq-topic', fixture.topics.dlq,
      '--partitions', '2',
      '--batch-size', '32',
      '--batch-wait-ms', '50',
      '--models-dir', modelsDir,
      '--offline-store', `${CLICKHOUSE_URL}/${database}`,
    ], { VIGIL_LOG_LEVEL: 'info' });
    fixture.running.push(serve);
    await serve.started;
    verdicts = await collectVerdicts(fixture.kafka, fixture.topics.verdicts);

    // 1. The first flows are scored by the weak CURRENT, and each scored vector is recorded.
    const first = pool.slice(0, 70);
    await produceFlows(fixture.kafka, fixture.topics.flows, first);
    await waitFor('verdicts of the first flows', async () => verdicts.distinctKeys() >= first.length, 120_000);
    expect(new Set(verdicts.received.map((r) => r.verdict.modelVersion))).toEqual(new Set(['weak']));
    await waitFor('their scored vectors in ClickHouse', async () => (await store.count('feature_vectors')) === first.length, 30_000);

    // 2. Analysts label them (true classes); the loop retrains at 50 samples and promotes.
    learn = await startLearn(
      parseLearnSettings({}, {
        brokers: BROKERS,
        labelsTopic,
        dlqTopic: labelsDlq,
        groupId: randomName('vigil-test-loop-learn'),
        redisUrl: REDIS_URL,
        queuePrefix,
        offlineStore: `${CLICKHOUSE_URL}/${database}`,
        modelsDir,
        baseData: [data.base],
        holdoutData: [data.holdout],
        minNewSamples: 50,
        checkEveryMs: 250,
        maxEpochs: 15,
        patience: 4,
      }),
      { kafka: fixture.kafka },
    );
    const producer = await openLabelProducer(fixture.kafka, { topic: labelsTopic, format: { type: 'json' } });
    await producer.send(first.slice(0, 60).map((f) => ({ event_key: f.eventId, label: classOfLabel(f.label!)!, source: 'analyst', ts: Date.now() })));
    await producer.close();
    await waitFor('a promoted candidate', async () => readPointer(modelsDir, 'current') !== 'weak', 240_000);
    const promoted = readPointer(modelsDir, 'current')!;
    expect(learn.collector.counters()).toMatchObject({ collected: 60, unknownEvent: 0 });
    expect(readPointer(modelsDir, 'previous')).toBe('weak');

    // 3. The running engine picks it up between micro-batches (it polls CURRENT every 5 s).
    await waitFor('serve to load the promoted model', async () => serve.stderr.some((l) => l.includes(promoted) && /switch/i.test(l)), 60_000);
    const rest = pool.slice(70, 100);
    await produceFlows(fixture.kafka, fixture.topics.flows, rest);
    await waitFor('verdicts of the later flows', async () => verdicts.distinctKeys() >= first.length + rest.length, 120_000);
    const later = verdicts.received.filter((r) => rest.some((f) => f.eventId === r.verdict.eventKey));
    expect(later).toHaveLength(rest.length);
    expect(new Set(later.map((r) => r.verdict.modelVersion))).toEqual(new Set([promoted]));
    expect(verdicts.received).toHaveLength(first.length + rest.length);

    serve.child.kill('SIGTERM');
    const { code } = await serve.exited;
    expect(code).toBe(0);
  }, 480_000);
});
