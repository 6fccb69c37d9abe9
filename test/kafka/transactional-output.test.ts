/**
 * Exactly-once plumbing on the real broker: the transactional output (verdicts, dead letters
 * and the group's offsets in one transaction), the source's transactional commits, the drop
 * of a batch a rebalance made stale, and the fencing of an instance by its restart.
 */
import { describe, expect, it } from 'vitest';
import { KafkaProduceError } from '../../src/kafka/errors.js';
import { openKafkaSource } from '../../src/kafka/kafka-source.js';
import { openTransactionalOutput } from '../../src/kafka/transactional-output.js';
import type { Verdict } from '../../src/events/verdict.js';
import { commitTransaction } from '../../src/stages/commit-transaction.js';
import { committedOffsets, kafkaPosition, produce, pullRecords, randomName, readRecords, sampleVerdicts, testKafka, useTestTopics, waitFor } from './broker.js';

const kafka = testKafka();
const newTopic = useTestTopics(kafka, 'vigil-test-txn');
const fast = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, fromBeginning: true };

async function topicsFor(partitions: number): Promise<{ input: string; verdicts: string; dlq: string }> {
  return { input: await newTopic(partitions), verdicts: await newTopic(2), dlq: await newTopic(1) };
}

const eventKeys = (records: readonly { value: Buffer }[]): string[] => records.map((r) => (JSON.parse(r.value.toString('utf8')) as Verdict).eventKey).sort();

describe('transactional output', () => {
  it('commits verdicts, dead letters and the group offsets of the batches together', async () => {
    const t = await topicsFor(2);
    const groupId = randomName('vigil-test-txn');
    await produce(kafka, t.input, Array.from({ length: 6 }, (_, i) => ({ key: null, value: `r${i}`, partition: i % 2 })));
    const source = await openKafkaSource(kafka, { topics: [t.input], groupId, commits: 'transaction', ...fast });
    const output = await openTransactionalOutput(kafka, { transactionalId: randomName('vigil-test-txid'), groupId, verdictTopic: t.verdicts, dlqTopic: t.dlq });
    const commit = commitTransaction(source, output);
    const batches = source.batches({ maxSize: 3, maxWaitMs: 200 })[Symbol.asyncIterator]();
    try {
      expect(() => source.markDurable({ kind: 'kafka', topic: t.input, partition: 0, offset: '0' })).toThrow('commits are transactional');
      const pulled = await pullRecords(batches, 6);
      const sent = sampleVerdicts(4);
      await output.verdicts.write(sent.slice(0, 2));
      await output.verdicts.write(sent.slice(2));
      await output.deadLetters.write([{ position: pulled[0]![0]!.position, reason: 'bad-json: truncated', raw: 'r?' }]);
      // Committed with the last batch: its transaction holds the offsets of every batch up to it.
      expect(await commit({ last: pulled.at(-1)!.at(-1)!.position })).toBe('committed');

      expect(eventKeys(await readRecords(kafka, t.verdicts, 4))).toEqual(['flow-0', 'flow-1', 'flow-2', 'flow-3']);
      const [dead] = await readRecords(kafka, t.dlq, 1);
      expect(JSON.parse(dead!.value.toString('utf8'))).toMatchObject({ code: 'bad-json', raw: 'r?' });
      expect(output.deadLetters.counts()).toEqual({ 'bad-json': 1 });
      expect(output.stats()).toEqual({ commits: 1, discards: 0 });
      expect(await committedOffsets(kafka, groupId, t.input)).toEqual({ 0: '3', 1: '3' });
      expect(source.stats().committed).toEqual([
        { topic: t.input, partition: 0, offset: '3' },
        { topic: t.input, partition: 1, offset: '3' },
      ]);
    } finally {
      await source.stop();
      await output.close();
    }
  });

  it('drops the outputs of a batch handed out before a rebalance; its records are read again', async () => {
    const t = await topicsFor(4);
    const groupId = randomName('vigil-test-txn');
    await produce(kafka, t.input, Array.from({ length: 8 }, (_, i) => ({ key: null, value: `r${i}`, partition: i % 4 })));
    const partitionsOf = (s: { stats(): { assignment: { partition: number }[] } }) => s.stats().assignment.map((tp) => tp.partition);
    const a = await openKafkaSource(kafka, { topics: [t.input], groupId, commits: 'transaction', ...fast });
    const output = await openTransactionalOutput(kafka, { transactionalId: randomName('vigil-test-txid'), groupId, verdictTopic: t.verdicts, dlqTopic: t.dlq });
    const aBatches = a.batches({ maxSize: 100, maxWaitMs: 300 })[Symbol.asyncIterator]();
    const before = (await pullRecords(aBatches, 8)).flat();
    // A second member joins while A's batch is in flight; b is never pulled, so it commits nothing.
    const b = await openKafkaSource(kafka, { topics: [t.input], groupId, commits: 'transaction', ...fast });
    try {
      await waitFor('the rebalance to settle', () => partitionsOf(a).length === 2 && partitionsOf(b).length === 2);
      await output.verdicts.write(sampleVerdicts(8));
      expect(await commitTransaction(a, output)({ last: before.at(-1)!.position })).toBe('read-again');
      expect(output.stats()).toEqual({ commits: 0, discards: 1 });
      expect(await committedOffsets(kafka, groupId, t.input)).toEqual({ 0: '-1', 1: '-1', 2: '-1', 3: '-1' });

      // A reads its remaining partitions again from the start and commits them now.
      const again = (await pullRecords(aBatches, 4)).flat();
      expect(new Set(again.map((r) => kafkaPosition(r).partition))).toEqual(new Set(partitionsOf(a)));
      await output.verdicts.write(sampleVerdicts(4));
      expect(await commitTransaction(a, output)({ last: again.at(-1)!.position })).toBe('committed');
      expect(eventKeys(await readRecords(kafka, t.verdicts, 4))).toEqual(['flow-0', 'flow-1', 'flow-2', 'flow-3']);
      const committed = await committedOffsets(kafka, groupId, t.input);
      for (const p of partitionsOf(a)) expect(committed[p]).toBe('2');
      for (const p of partitionsOf(b)) expect(committed[p]).toBe('-1');
    } finally {
      await b.stop();
      await a.stop();
      await output.close();
    }
  });

  it('a restart with the same transactional id fences the old instance: its next commit fails', async () => {
    const t = await topicsFor(1);
    const groupId = randomName('vigil-test-txn');
    const transactionalId = randomName('vigil-test-txid');
    const options = { transactionalId, groupId, verdictTopic: t.verdicts, dlqTopic: t.dlq };
    const old = await openTransactionalOutput(kafka, options);
    const restarted = await openTransactionalOutput(kafka, options);
    try {
      await old.verdicts.write(sampleVerdicts(1));
      await expect(old.commit([{ topic: t.input, partition: 0, offset: '1' }])).rejects.toThrow(KafkaProduceError);
      await restarted.verdicts.write(sampleVerdicts(2).slice(1));
      await restarted.commit([{ topic: t.input, partition: 0, offset: '1' }]);
      expect(eventKeys(await readRecords(kafka, t.verdicts, 1))).toEqual(['flow-1']);
      expect(await committedOffsets(kafka, groupId, t.input)).toEqual({ 0: '1' });
    } finally {
      await old.close().catch(() => undefined);
      await restarted.close();
    }
  });
});
