import { describe, expect, it } from 'vitest';
import { VerdictType } from '../../src/events/flow-event.js';
import type { Verdict } from '../../src/events/verdict.js';
import { ensureTopics } from '../../src/kafka/admin.js';
import { unframeConfluent } from '../../src/kafka/confluent-frame.js';
import { KafkaEncodeError, KafkaProduceError } from '../../src/kafka/errors.js';
import { openLabelProducer, openLabelSource } from '../../src/kafka/label-topic.js';
import type { ValueFormat } from '../../src/kafka/settings.js';
import { openKafkaVerdictSink } from '../../src/kafka/verdict-sink.js';
import { deleteTopics, pullRecords, randomName, readRecords, sampleVerdicts, testKafka, useTestTopics } from './broker.js';

const kafka = testKafka();
const newTopic = useTestTopics(kafka, 'vigil-test-out');

const verdicts = sampleVerdicts;

describe('Kafka verdict sink', () => {
  const formats: [ValueFormat, (value: Buffer) => unknown][] = [
    [{ type: 'json' }, (v) => JSON.parse(v.toString('utf8'))],
    [{ type: 'avro' }, (v) => VerdictType.fromBuffer(v)],
    [{ type: 'confluent-avro', schemaId: 11 }, (v) => {
      const u = unframeConfluent(v, 11);
      if (!u.ok) throw new Error(u.reason);
      return VerdictType.fromBuffer(u.body);
    }],
  ];
  for (const [format, decode] of formats) {
    it(`${format.type}: verdicts arrive keyed by srcIp once write() resolved`, async () => {
      const topic = await newTopic(3);
      const sink = await openKafkaVerdictSink(kafka, { topic, format });
      const sent = verdicts(9);
      await sink.write(sent.slice(0, 4));
      await sink.write(sent.slice(4));
      await sink.write([]);
      await sink.close();

      const got = await readRecords(kafka, topic, sent.length);
      expect(got).toHaveLength(sent.length);
      const byKey = new Map(sent.map((v) => [v.eventKey, v]));
      const ipPartition = new Map<string, number>();
      for (const r of got) {
        const v = decode(r.value) as Verdict;
        expect(v).toEqual(byKey.get(v.eventKey));
        expect(r.key).toBe(v.srcIp);
        // Keyed: all verdicts of one source IP share a partition.
        expect(ipPartition.get(v.srcIp) ?? r.partition).toBe(r.partition);
        ipPartition.set(v.srcIp, r.partition);
      }
    });
  }

  it('rejects a verdict that does not fit the schema before producing anything, and writes to a missing topic', async () => {
    const topic = await newTopic(1);
    const sink = await openKafkaVerdictSink(kafka, { topic, format: { type: 'avro' } });
    const [good] = verdicts(1);
    await expect(sink.write([good!, { ...good!, class: 'evil' as never }])).rejects.toThrow(KafkaEncodeError);
    await sink.close();
    await expect(sink.write([good!])).rejects.toThrow(/closed/);

    const missing = await openKafkaVerdictSink(kafka, { topic: randomName('vigil-test-missing'), retries: 1 });
    await expect(missing.write([good!])).rejects.toThrow(KafkaProduceError);
    await missing.close();
  });
});

describe('labels topic', () => {
  for (const format of [{ type: 'avro' }, { type: 'json' }] as ValueFormat[]) {
    it(`${format.type}: labels produced by the helper come out of the label source, keyed by event`, async () => {
      const topic = await newTopic(2);
      const producer = await openLabelProducer(kafka, { topic, format });
      const labels = [
        { event_key: 'flow-1', label: 'dos', source: 'analyst', ts: 1_700_000_000_000 },
        { event_key: 'flow-2', label: 'normal', source: 'council', ts: 1_700_000_000_500, threat_score: 0.1 },
        { event_key: 'flow-1', label: 'botnet', source: 'council', ts: 1_700_000_001_000, threat_score: 0.9 },
      ] as const;
      await producer.send(labels);
      await producer.close();

      const { source, decoder } = await openLabelSource(kafka, { topics: [topic], groupId: randomName('vigil-test'), format, fromBeginning: true, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 });
      const records = (await pullRecords(source.batches({ maxSize: 10, maxWaitMs: 300 })[Symbol.asyncIterator](), labels.length)).flat();
      const decoded = records.map((r) => {
        const d = decoder.decode(r);
        if (!d.ok) throw new Error(d.reason);
        return d.value;
      });
      expect(decoded.map((l) => l.event_key).sort()).toEqual(['flow-1', 'flow-1', 'flow-2']);
      // Both labels of flow-1 share a partition, in the order given.
      expect(decoded.filter((l) => l.event_key === 'flow-1').map((l) => l.label)).toEqual(['dos', 'botnet']);
      expect(decoded.find((l) => l.event_key === 'flow-2')).toEqual({ ...labels[1] });
      expect(decoded.find((l) => l.label === 'dos')).toEqual({ ...labels[0], threat_score: null });
      source.markDurable(records.at(-1)!.position);
      await source.stop();
    });
  }
});

describe('ensureTopics', () => {
  it('creates missing topics, grows short ones, leaves larger ones', async () => {
    // Created here, not by newTopic: creating it is what this test checks.
    const topic = randomName('vigil-test-admin');
    try {
      expect(await ensureTopics(kafka, [{ topic, partitions: 2 }])).toEqual({ created: [topic], grown: [], unchanged: [] });
      expect(await ensureTopics(kafka, [{ topic, partitions: 3 }])).toEqual({ created: [], grown: [{ topic, from: 2, to: 3 }], unchanged: [] });
      expect(await ensureTopics(kafka, [{ topic, partitions: 1 }])).toEqual({ created: [], grown: [], unchanged: [{ topic, partitions: 3 }] });
      await expect(ensureTopics(kafka, [{ topic, partitions: 0 }])).rejects.toThrow(/topics\[0\]\.partitions: a topic needs at least 1 partition/);
    } finally {
      await deleteTopics(kafka, [topic]);
    }
  });
});
