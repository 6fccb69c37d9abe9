/**
 * The features topology on a real broker and Redis, failing mid-stream: a batch's source
 * states are saved, then its feature lines cannot be written, so its offsets are never
 * committed and the group reads it again. The process that takes over (a fresh pipeline,
 * as after a restart) must continue each source from the state before that batch: its
 * vectors and the states it leaves are those of one pass over every event.
 */
import { readFileSync, rmSync } from 'node:fs';
import { lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featuresTopology } from '../../topologies/features.js';
import { ensureTopics } from '../../src/kafka/admin.js';
import { openKafkaEventSource } from '../../src/kafka/kafka-event-source.js';
import { createDlqWriter } from '../../src/sinks/dlq-file.js';
import type { InputEvent } from '../../src/sources/file-source.js';
import { sourceStateCounters } from '../../src/stages/source-states.js';
import { RedisSourceStateStore } from '../../src/store/redis/redis-source-state-store.js';
import { encodeSnapshot } from '../../src/store/source-state-store.js';
import type { FeatureLine, FeatureLineSink } from '../../src/vector/v2/feature-line-sink.js';
import { openV2Pipeline } from '../../src/vector/v2/open-v2-pipeline.js';
import { decodeAll, writeV2Inputs, type V2Inputs } from '../features/v2-fixtures.js';
import { committedOffsets, deleteTopics, ensureBroker, produce, randomName, testKafka, waitFor } from '../kafka/broker.js';
import { deleteKeys, randomPrefix, testClient } from '../store/redis-test-client.js';

const kafka = testKafka();
const topic = randomName('vigil-test-features-crash');
const client = testClient();
const keyPrefix = randomPrefix();
let inputs: V2Inputs;
let events: InputEvent[];
let ends: Record<number, string>;

beforeAll(async () => {
  await ensureBroker();
  inputs = writeV2Inputs();
  events = (await decodeAll(inputs.cowrie)).events;
  const lines = readFileSync(inputs.cowrie, 'utf8').trimEnd().split('\n');
  // Keyed by source IP over two partitions: each source's events stay in order, as a shipper keys them.
  await ensureTopics(kafka, [{ topic, partitions: 2 }]);
  await produce(kafka, topic, lines.map((value) => ({ key: String((JSON.parse(value) as { src_ip?: unknown }).src_ip), value })));
  const admin = kafka.admin();
  await admin.connect();
  ends = Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
  await admin.disconnect();
}, 60_000);

afterAll(async () => {
  await deleteTopics(kafka, [topic]);
  await deleteKeys(client, keyPrefix);
  await client.quit();
  rmSync(inputs.dir, { recursive: true, force: true });
});

const pipelineNow = async () => (await openV2Pipeline({ eventTimeMs: events[0]!.ts }, () => undefined)).pipeline;

/**
 * A feature-line sink that keeps the lines, and fails on its `failOn`-th write of lines (if
 * given): a batch of events, so of states saved. (A batch may also hold no event at all:
 * Cowrie lines of event ids vigil does not read are dead-lettered.)
 */
function lineSink(failOn?: number): FeatureLineSink & { lines: FeatureLine[] } {
  let writes = 0;
  const lines: FeatureLine[] = [];
  return {
    lines,
    async write(batch) {
      if (batch.length > 0 && ++writes === failOn) throw new Error('feature lines: disk full');
      lines.push(...batch);
    },
    close: async () => undefined,
  };
}

describe('features topology, a batch read again after a failure', () => {
  it('continues its sources from the states before it, as one pass would have', async () => {
    const groupId = randomName('vigil-test-features-crash-group');
    const store = new RedisSourceStateStore({ client, keyPrefix });
    const run = async (vectors: FeatureLineSink, counters = sourceStateCounters()) => {
      const { source, decoder } = await openKafkaEventSource(kafka, { topics: [topic], groupId, events: 'cowrie-json', fromBeginning: true, drainTimeoutMs: 0 });
      const topology = featuresTopology({ source, decoder, deadLetters: createDlqWriter(null), pipeline: await pipelineNow(), vectors, batch: { maxSize: 16, maxWaitMs: 50 }, stateStore: store, counters });
      return { source, counters, done: lastValueFrom(topology) };
    };

    const failing = await run(lineSink(5));
    await expect(failing.done).rejects.toThrow('disk full');
    await failing.source.stop();
    const afterFailure = await committedOffsets(kafka, groupId, topic);
    expect(Object.values(afterFailure).some((o) => Number(o) > 0), `batches committed before the failure: ${JSON.stringify(afterFailure)}`).toBe(true);

    const restartedLines = lineSink();
    const restarted = await run(restartedLines);
    await waitFor('the group to commit every record', async () => JSON.stringify(await committedOffsets(kafka, groupId, topic)) === JSON.stringify(ends), 60_000);
    await restarted.source.stop();
    await restarted.done;

    // One pass over every event in file order; each source's events keep their order on its partition.
    const reference = await pipelineNow();
    const expected = new Map(events.map((e) => [e.eventId, Array.from(reference.step(e))]));
    expect(restarted.counters.rewound, 'the failed batch had saved states').toBeGreaterThan(0);
    expect(restarted.counters.lost).toBe(0);
    expect(restarted.counters.split).toBe(0);
    for (const line of restartedLines.lines) expect(line.vector, line.eventId).toEqual(expected.get(line.eventId));
    const ips = [...new Set(events.map((e) => e.srcIp))];
    const stored = await store.load(ips);
    ips.forEach((ip, i) => {
      const held = reference.source(ip)!;
      const { layout, states, lastTs } = stored[i]!.current;
      expect(encodeSnapshot({ layout, states, lastTs }), ip).toBe(encodeSnapshot({ layout: reference.layout, states: held.states, lastTs: held.lastTs }));
    });
  }, 120_000);
});
