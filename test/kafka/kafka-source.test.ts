import { describe, expect, it } from 'vitest';
import { FlowEventType, VerdictType, type FlowEvent } from '../../src/events/flow-event.js';
import { frameConfluent } from '../../src/kafka/confluent-frame.js';
import { createFlowEncoder } from '../../src/kafka/flow-codec.js';
import { openKafkaFlowSource } from '../../src/kafka/kafka-flow-source.js';
import type { KafkaRawRecord } from '../../src/kafka/kafka-record.js';
import type { ValueFormat } from '../../src/kafka/settings.js';
import { openKafkaDeadLetterSink, DEAD_LETTER_HEADERS } from '../../src/kafka/dead-letter-sink.js';
import { openKafkaSource } from '../../src/kafka/kafka-source.js';
import { formatPosition, type BadInput, type RawRecord } from '../../src/sources/record.js';
import {
  committedOffsets,
  kafkaPosition,
  produce,
  pullRecords,
  randomName,
  readRecords,
  sampleFlows,
  testKafka,
  useTestTopics,
  waitFor,
} from './broker.js';

const kafka = testKafka();
const newTopic = useTestTopics(kafka, 'vigil-test-flows');

const fast = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, fromBeginning: true };

/** A one-partition topic holding `count` records r0, r1, ..., and a source reading it in a new group. */
async function sourceOverRecords(count: number) {
  const topic = await newTopic(1);
  const groupId = randomName('vigil-test');
  await produce(kafka, topic, Array.from({ length: count }, (_, i) => ({ key: null, value: `r${i}` })));
  return { topic, groupId, source: await openKafkaSource(kafka, { topics: [topic], groupId, ...fast }) };
}

describe('Kafka flow source: formats and positions', () => {
  const formats: ValueFormat[] = [{ type: 'json' }, { type: 'avro' }, { type: 'confluent-avro', schemaId: 42 }];
  for (const format of formats) {
    it(`reads ${format.type} flows as RawRecords that decode to the produced events, at their positions`, async () => {
      const topic = await newTopic(2);
      const flows = sampleFlows(12, 3);
      const encode = createFlowEncoder(format);
      // Explicit partitions: record i lands on partition i % 2 at offset floor(i / 2).
      await produce(kafka, topic, flows.map((f, i) => ({ key: f.srcIp, value: encode(f), partition: i % 2 })));

      const { source, decoder } = await openKafkaFlowSource(kafka, { topics: [topic], groupId: randomName('vigil-test'), format, ...fast });
      const batches = await pullRecords(source.batches({ maxSize: 100, maxWaitMs: 300 })[Symbol.asyncIterator](), flows.length);
      const records = batches.flat() as KafkaRawRecord[];
      expect(records).toHaveLength(flows.length);

      const seen = new Map<string, FlowEvent>();
      for (const r of records) {
        const d = decoder.decode(r);
        if (!d.ok) throw new Error(`decode failed: ${d.reason}`);
        expect(d.position).toBe(r.position);
        seen.set(`${r.position.partition}@${r.position.offset}`, d.value);
        expect(r.key).toBe(d.value.srcIp);
      }
      flows.forEach((f, i) => expect(seen.get(`${i % 2}@${Math.floor(i / 2)}`)).toEqual(f));
      for (const r of records) expect(r.position.topic).toBe(topic);
      source.markDurable(batches.at(-1)!.at(-1)!.position);
      const report = await source.stop();
      expect(report.committed).toEqual([
        { topic, partition: 0, offset: '6' },
        { topic, partition: 1, offset: '6' },
      ]);
    });
  }
});

describe('Kafka flow source: bad records', () => {
  it('turns bad JSON and bad Avro records into decode failures at their positions, which the dead-letter topic keeps', async () => {
    const jsonTopic = await newTopic(1);
    const avroTopic = await newTopic(1);
    const dlqTopic = await newTopic(1);
    const [good] = sampleFlows(1, 5) as [FlowEvent];
    const goodJson = createFlowEncoder({ type: 'json' })(good);
    await produce(kafka, jsonTopic, [
      { key: good.srcIp, value: goodJson },
      { key: 'x', value: '{"srcIp": "10.0.0.1", oops' },
      { key: 'x', value: '[1, 2, 3]' },
      { key: 'x', value: createFlowEncoder({ type: 'json' })({ ...good, protocol: 99 }) },
      { key: 'x', value: null },
    ]);
    const goodAvro = FlowEventType.toBuffer(good);
    const verdictBytes = VerdictType.toBuffer({
      eventKey: 'e', srcIp: '10.0.0.1', class: 'dos', probabilities: { dos: 1 }, modelVersion: 'm', featureVersion: 1, latencyMs: 1, ts: 1, scoredAt: 2,
    });
    const avroBad = [goodJson, goodAvro.subarray(0, goodAvro.length - 3), verdictBytes, FlowEventType.toBuffer({ ...good, protocol: 99 })];
    await produce(kafka, avroTopic, [{ key: good.srcIp, value: goodAvro }, ...avroBad.map((value) => ({ key: 'x', value }))]);

    const bad: BadInput[] = [];
    for (const [topic, format, count] of [[jsonTopic, { type: 'json' }, 5], [avroTopic, { type: 'avro' }, 5]] as const) {
      const { source, decoder } = await openKafkaFlowSource(kafka, { topics: [topic], groupId: randomName('vigil-test'), format, ...fast });
      const records = (await pullRecords(source.batches({ maxSize: 100, maxWaitMs: 300 })[Symbol.asyncIterator](), count)).flat();
      const decoded = records.map((r) => decoder.decode(r));
      expect(decoded[0]).toMatchObject({ ok: true, value: good });
      for (const d of decoded.slice(1)) {
        if (d.ok) throw new Error(`expected a decode failure at ${formatPosition(d.position)}`);
        bad.push({ position: d.position, reason: d.reason, raw: d.raw });
      }
      source.markDurable(records.at(-1)!.position);
      await source.stop();
    }
    expect(bad.map((b) => [formatPosition(b.position), b.reason.split(':')[0]])).toEqual([
      [`${jsonTopic}[0]@1`, 'bad-json'],
      [`${jsonTopic}[0]@2`, 'bad-json'],
      [`${jsonTopic}[0]@3`, 'unknown-protocol'],
      [`${jsonTopic}[0]@4`, 'bad-json'],
      [`${avroTopic}[0]@1`, 'bad-avro'],
      [`${avroTopic}[0]@2`, 'bad-avro'],
      [`${avroTopic}[0]@3`, 'bad-avro'],
      [`${avroTopic}[0]@4`, 'unknown-protocol'],
    ]);

    // Binary input keeps its exact bytes as base64 in `raw` (the header says so).
    const dlq = await openKafkaDeadLetterSink(kafka, { topic: dlqTopic, rawEncoding: 'base64' }, { now: () => new Date('2024-05-01T10:00:00Z') });
    const avroDead = bad.filter((b) => b.position.kind === 'kafka' && b.position.topic === avroTopic);
    await dlq.write(avroDead);
    expect(dlq.counts()).toEqual({ 'bad-avro': 3, 'unknown-protocol': 1 });
    await dlq.close();

    const letters = await readRecords(kafka, dlqTopic, avroDead.length);
    letters.forEach((letter, i) => {
      const item = avroDead[i]!;
      const envelope = JSON.parse(letter.value.toString('utf8')) as Record<string, unknown>;
      expect(letter.key).toBe(formatPosition(item.position));
      expect(envelope).toEqual({
        reason: item.reason,
        code: item.reason.split(':')[0],
        topic: avroTopic,
        partition: 0,
        offset: String(i + 1),
        raw: item.raw,
        at: '2024-05-01T10:00:00.000Z',
      });
      expect(Buffer.from(envelope.raw as string, 'base64')).toEqual(avroBad[i]);
      expect(letter.headers).toEqual({
        [DEAD_LETTER_HEADERS.reasonCode]: item.reason.split(':')[0],
        [DEAD_LETTER_HEADERS.source]: `${avroTopic}[0]@${i + 1}`,
        [DEAD_LETTER_HEADERS.rawEncoding]: 'base64',
      });
    });
  });
});

describe('Kafka source: commits', () => {
  it('commits only what markDurable reported: unmarked records come again to the next member of the group', async () => {
    const topic = await newTopic(1);
    const groupId = randomName('vigil-test');
    await produce(kafka, topic, Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `r${i}` })));
    const offsetsOf = (batches: RawRecord[][]) => batches.flat().map((r) => kafkaPosition(r).offset);

    // 1. Read everything, acknowledge nothing: nothing is committed.
    const first = await openKafkaSource(kafka, { topics: [topic], groupId, ...fast, drainTimeoutMs: 100 });
    const firstBatches = await pullRecords(first.batches({ maxSize: 100, maxWaitMs: 200 })[Symbol.asyncIterator](), 10);
    const firstReport = await first.stop();
    expect(firstReport.undrainedBatches).toBe(firstBatches.length);
    expect(await committedOffsets(kafka, groupId, topic)).toEqual({ 0: '-1' });

    // 2. The same records again; acknowledge the first 4 only.
    const second = await openKafkaSource(kafka, { topics: [topic], groupId, ...fast, drainTimeoutMs: 100 });
    const it2 = second.batches({ maxSize: 4, maxWaitMs: 200 })[Symbol.asyncIterator]();
    const [batch] = await pullRecords(it2, 1);
    expect(offsetsOf([batch!])).toEqual(['0', '1', '2', '3']);
    second.markDurable(batch!.at(-1)!.position);
    await waitFor('the commit of offset 4', async () => (await committedOffsets(kafka, groupId, topic))[0] === '4');
    const rest = await pullRecords(it2, 6);
    expect(offsetsOf(rest)).toEqual(['4', '5', '6', '7', '8', '9']);
    const secondReport = await second.stop();
    expect(secondReport.committed).toEqual([{ topic, partition: 0, offset: '4' }]);

    // 3. Only what was not acknowledged comes again; acknowledging it commits the end.
    const third = await openKafkaSource(kafka, { topics: [topic], groupId, ...fast });
    const thirdBatches = await pullRecords(third.batches({ maxSize: 100, maxWaitMs: 200 })[Symbol.asyncIterator](), 6);
    expect(offsetsOf(thirdBatches)).toEqual(['4', '5', '6', '7', '8', '9']);
    third.markDurable(thirdBatches.at(-1)!.at(-1)!.position);
    expect((await third.stop()).committed).toEqual([{ topic, partition: 0, offset: '10' }]);
    expect(await committedOffsets(kafka, groupId, topic)).toEqual({ 0: '10' });
  });

  it('stop() ends batches(), waits for the batch in flight to become durable, commits it, then leaves', async () => {
    const { topic, groupId, source } = await sourceOverRecords(30);
    const batches = source.batches({ maxSize: 10, maxWaitMs: 100 })[Symbol.asyncIterator]();
    const [inFlight] = await pullRecords(batches, 10);
    await waitFor('more records to be buffered', () => source.stats().buffered > 0);

    const stopped = source.stop();
    expect(source.state).toBe('stopping');
    expect(await batches.next()).toEqual({ done: true, value: undefined });
    // The pipeline finishes its batch after stop() was called; stop() waits for it.
    await new Promise((r) => setTimeout(r, 300));
    expect(await committedOffsets(kafka, groupId, topic)).toEqual({ 0: '-1' });
    source.markDurable(inFlight!.at(-1)!.position);
    const report = await stopped;
    expect(report.undrainedBatches).toBe(0);
    expect(report.droppedBuffered).toBeGreaterThan(0);
    expect(report.committed).toEqual([{ topic, partition: 0, offset: '10' }]);
    expect(source.state).toBe('stopped');
    expect(await committedOffsets(kafka, groupId, topic)).toEqual({ 0: '10' });
    expect(await source.stop()).toBe(report);
  });

  it('committed() resolves only once the group committed past the batch marked durable, one batch after another', async () => {
    const { topic, groupId, source } = await sourceOverRecords(12);
    const batches = source.batches({ maxSize: 4, maxWaitMs: 100 })[Symbol.asyncIterator]();
    for (const end of ['4', '8', '12']) {
      const [batch] = await pullRecords(batches, 1);
      const last = batch!.at(-1)!.position;
      source.markDurable(last);
      await source.committed(last);
      // Read from the broker, not from the source: what a restarted member would resume from.
      expect(await committedOffsets(kafka, groupId, topic)).toEqual({ 0: end });
    }
    await source.stop();
  });

  it('refuses markDurable for a position it never handed out', async () => {
    const topic = await newTopic(1);
    const source = await openKafkaSource(kafka, { topics: [topic], groupId: randomName('vigil-test'), ...fast });
    expect(() => source.markDurable({ kind: 'kafka', topic, partition: 0, offset: '7' })).toThrow(/matches no batch handed out/);
    expect(() => source.markDurable({ kind: 'file', file: 'x.csv', line: 3 })).toThrow(/not a position of this source/);
    await source.stop();
  });
});

describe('Kafka source: backpressure', () => {
  it('pauses the consumer while the pipeline does not pull: the buffer stays within its bound, and nothing is lost', async () => {
    const topic = await newTopic(1);
    const total = 300;
    await produce(kafka, topic, Array.from({ length: total }, (_, i) => ({ key: `k${i % 7}`, value: `record-${i}`.padEnd(100, '.') })));
    const source = await openKafkaSource(kafka, { topics: [topic], groupId: randomName('vigil-test'), ...fast, maxBufferedRecords: 100 });
    const batches = source.batches({ maxSize: 50, maxWaitMs: 100 })[Symbol.asyncIterator]();
    const [firstBatch] = await pullRecords(batches, 1);
    expect(firstBatch).toHaveLength(50);

    // The pipeline is "busy": no pull for a while. One fetch returns all records; the source
    // takes only what fits and pauses.
    await waitFor('the buffer to fill', () => source.stats().buffered === 100);
    await new Promise((r) => setTimeout(r, 600));
    const busy = source.stats();
    expect(busy.paused).toBe(true);
    expect(busy.buffered).toBe(100);
    expect(busy.maxBuffered).toBe(100);
    expect(busy.received).toBe(150);
    expect(busy.handedOut).toBe(50);

    // Pulling resumes it; every record arrives once, in order.
    const rest = await pullRecords(batches, total - 50);
    const offsets = [firstBatch!, ...rest].flat().map((r) => Number(kafkaPosition(r).offset));
    expect(offsets).toEqual(Array.from({ length: total }, (_, i) => i));
    const after = source.stats();
    expect(after.maxBuffered).toBe(100);
    expect(after.pauses).toBeGreaterThan(1);
    expect(after.resumes).toBeGreaterThan(1);
    source.markDurable(rest.at(-1)!.at(-1)!.position);
    expect((await source.stop()).committed).toEqual([{ topic, partition: 0, offset: String(total) }]);
  });
});

describe('Kafka source: consumer group', () => {
  it('shares partitions between two members, does not commit work of revoked partitions, and hands all to the survivor', async () => {
    const topic = await newTopic(4);
    const groupId = randomName('vigil-test');
    const perPartition = 5;
    await produce(kafka, topic, Array.from({ length: 4 * perPartition }, (_, i) => ({ key: null, value: `r${i}`, partition: i % 4 })));
    const partitionsOf = (s: { stats(): { assignment: { partition: number }[] } }) => s.stats().assignment.map((tp) => tp.partition);

    const a = await openKafkaSource(kafka, { topics: [topic], groupId, ...fast });
    expect(partitionsOf(a)).toEqual([0, 1, 2, 3]);
    const aBatches = a.batches({ maxSize: 100, maxWaitMs: 500 })[Symbol.asyncIterator]();
    const aFirst = (await pullRecords(aBatches, 4 * perPartition)).flat();
    expect(aFirst).toHaveLength(4 * perPartition);

    // A second member joins while A's batch is in flight.
    const b = await openKafkaSource(kafka, { topics: [topic], groupId, ...fast });
    await waitFor('the rebalance to settle', () => partitionsOf(a).length === 2 && partitionsOf(b).length === 2);
    expect([...partitionsOf(a), ...partitionsOf(b)].sort()).toEqual([0, 1, 2, 3]);

    // The records of A's batch on B's partitions are the ones the group reads again.
    const readAgain = a.readAgain(aFirst.at(-1)!.position);
    expect(new Set(aFirst.filter((r) => readAgain(r.position)).map((r) => kafkaPosition(r).partition))).toEqual(new Set(partitionsOf(b)));
    // A's batch becomes durable after the rebalance: only A's remaining partitions are committed.
    a.markDurable(aFirst.at(-1)!.position);
    await waitFor('A to commit its partitions', async () => {
      const c = await committedOffsets(kafka, groupId, topic);
      return partitionsOf(a).every((p) => c[p] === String(perPartition));
    });
    const afterA = await committedOffsets(kafka, groupId, topic);
    for (const p of partitionsOf(b)) expect(afterA[p]).toBe('-1');

    // B reads its partitions from the group's committed offset, i.e. from the start.
    const bRecords = (await pullRecords(b.batches({ maxSize: 100, maxWaitMs: 500 })[Symbol.asyncIterator](), 2 * perPartition)).flat();
    expect(new Set(bRecords.map((r) => kafkaPosition(r).partition))).toEqual(new Set(partitionsOf(b)));
    expect(bRecords.map((r) => kafkaPosition(r).offset).sort()).toEqual(['0', '0', '1', '1', '2', '2', '3', '3', '4', '4']);
    b.markDurable(bRecords.at(-1)!.position);
    await b.stop();
    expect(await committedOffsets(kafka, groupId, topic)).toEqual({ 0: '5', 1: '5', 2: '5', 3: '5' });

    // B left: A owns everything and reads only what is new.
    await waitFor('A to own all partitions', () => partitionsOf(a).length === 4);
    await produce(kafka, topic, [0, 1, 2, 3].map((partition) => ({ key: null, value: `late${partition}`, partition })));
    const late = (await pullRecords(aBatches, 4)).flat();
    expect(late.map((r) => r.text).sort()).toEqual(['late0', 'late1', 'late2', 'late3']);
    expect(late.every((r) => kafkaPosition(r).offset === String(perPartition))).toBe(true);
    a.markDurable(late.at(-1)!.position);
    await a.stop();
    expect(await committedOffsets(kafka, groupId, topic)).toEqual({ 0: '6', 1: '6', 2: '6', 3: '6' });
  });
});
