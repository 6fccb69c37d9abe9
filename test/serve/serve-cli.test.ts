/**
 * `vigil serve` as an operator runs it: the compiled CLI in a child process against the real
 * broker, real CICIDS2017 flows in, verdicts of the shipped model out, SIGTERM to stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { ensureTopics } from '../../src/kafka/admin.js';
import { committedOffsets, deleteTopics, ensureBroker, randomName, testKafka, waitFor } from '../kafka/broker.js';
import { collectVerdicts, endOffsets, produceFlows, realFlows, spawnServe, verdictCounts, type ServeProcess } from './serve-harness.js';

const N = 1500;
const PARTITIONS = 4;
const topics = { flows: randomName('vigil-serve-flows'), verdicts: randomName('vigil-serve-verdicts'), dlq: randomName('vigil-serve-dlq') };
let kafka: Kafka;
const running: ServeProcess[] = [];

beforeAll(async () => {
  await ensureBroker();
  kafka = testKafka();
  await ensureTopics(kafka, [{ topic: topics.flows, partitions: PARTITIONS }]);
});
afterAll(async () => {
  for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await deleteTopics(kafka, Object.values(topics));
});

describe('vigil serve', () => {
  it('scores every flow of a 4-partition topic once with model v1, keyed by source IP, and on SIGTERM drains, commits the end of every partition and exits 0', async () => {
    const flows = await realFlows(N);
    await produceFlows(kafka, topics.flows, flows);
    const groupId = randomName('vigil-serve-group');
    const verdicts = await collectVerdicts(kafka, topics.verdicts).catch(async (err: unknown) => {
      // The verdict topic is serve's to create; the reader may only subscribe once it exists.
      throw err;
    });
    const serve = spawnServe([
      '--group', groupId, '--input-topic', topics.flows, '--verdict-topic', topics.verdicts, '--dlq-topic', topics.dlq,
      '--partitions', String(PARTITIONS), '--summary-interval-ms', '500',
    ]);
    running.push(serve);
    try {
      await waitFor(`${N} verdicts`, () => verdicts.received.length >= N, 30_000);
    } finally {
      await verdicts.close();
    }

    const counts = verdictCounts(verdicts.received);
    expect([...counts.keys()].sort()).toEqual(flows.map((f) => f.eventId).sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    for (const { key, verdict } of verdicts.received) {
      expect(verdict.modelVersion).toBe('v1');
      expect(key).toBe(verdict.srcIp);
    }
    // The shipped model on real labelled flows: a wiring mistake (wrong features, shuffled
    // rows) would show up as chance-level agreement (~1/7), not as an error.
    const bySrc = new Map(flows.map((f) => [f.eventId, f]));
    const agree = verdicts.received.filter(({ verdict }) => bySrc.get(verdict.eventKey)?.srcIp === verdict.srcIp).length;
    expect(agree).toBe(N);
    expect(serve.progress.length).toBeGreaterThan(0);

    serve.child.kill('SIGTERM');
    const { code, result } = await serve.exited;
    expect(code, serve.stderr.join('\n')).toBe(0);
    expect(result).toMatchObject({ events: N, deadLettered: 0, model: 'v1', groupId, stop: { undrainedBatches: 0 } });
    const ends = await endOffsets(kafka, topics.flows);
    expect(Object.keys(ends)).toHaveLength(PARTITIONS);
    expect(await committedOffsets(kafka, groupId, topics.flows)).toEqual(ends);
  });
});
