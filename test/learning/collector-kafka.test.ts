/**
 * The training collector on the real labels topic: labels produced with openLabelProducer
 * (and one record that is not a label), consumed with openLabelSource, joined against a
 * SQLite offline store, dead letters on a Kafka dead-letter topic, offsets committed only
 * once each batch's samples and dead letters are written.
 */
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTopics } from '../../src/kafka/admin.js';
import { openKafkaDeadLetterSink } from '../../src/kafka/dead-letter-sink.js';
import { openLabelProducer, openLabelSource } from '../../src/kafka/label-topic.js';
import { TrainingCollector } from '../../src/learning/training-collector.js';
import type { RecordSource } from '../../src/sources/record.js';
import { committedOffsets, deleteTopics, ensureBroker, produce, randomName, readRecords, testKafka, waitFor } from '../kafka/broker.js';
import { BAD_RECORDS, LABELS, byKeyAndTs, expectedSample, openTempStore, storedSamples } from './collector-fixture.js';

let kafka: Kafka;
const topics = { labels: randomName('vigil-test-labels'), dlq: randomName('vigil-test-labels-dlq') };

beforeAll(async () => {
  await ensureBroker();
  kafka = testKafka();
  await ensureTopics(kafka, [
    { topic: topics.labels, partitions: 2 },
    { topic: topics.dlq, partitions: 1 },
  ]);
}, 180_000);
afterAll(async () => {
  await deleteTopics(kafka, Object.values(topics));
});

describe('TrainingCollector on the Kafka labels topic', () => {
  it('collects point-in-time samples, dead-letters unknown events and bad records, commits after writing', async () => {
    const t = await openTempStore();
    try {
      const producer = await openLabelProducer(kafka, { topic: topics.labels, format: { type: 'json' } });
      await producer.send(LABELS.map((l) => l.label));
      await producer.close();
      await produce(kafka, topics.labels, BAD_RECORDS.map((b) => ({ key: 'bad', value: b.text })));
      const total = LABELS.length + BAD_RECORDS.length;

      const groupId = randomName('vigil-test-collector');
      const { source, decoder } = await openLabelSource(kafka, { topics: [topics.labels], groupId, fromBeginning: true, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 });
      const deadLetters = await openKafkaDeadLetterSink(kafka, { topic: topics.dlq });
      const deadLetterTotal = () => Object.values(deadLetters.counts()).reduce((a, b) => a + b, 0);
      // At each acknowledgement, what the store and the dead-letter topic hold must already
      // account for everything counted so far.
      const atAck: { samples: number; deadLetters: number; collected: number; deadLettered: number }[] = [];
      let collector: TrainingCollector | undefined;
      const watched: RecordSource = {
        name: source.name,
        batches: (options) => source.batches(options),
        markDurable: (last) => {
          const c = collector!.counters();
          atAck.push({ samples: t.sampleRows(), deadLetters: deadLetterTotal(), collected: c.collected, deadLettered: c.unknownEvent + c.bad });
          source.markDurable(last);
        },
      };
      collector = new TrainingCollector({ source: watched, decoder, store: t.store, deadLetters, batch: { maxSize: 3, maxWaitMs: 50 } });
      const running = collector.run();

      await waitFor('every label record committed', async () => {
        const committed = await committedOffsets(kafka, groupId, topics.labels);
        return Object.values(committed).reduce((n, offset) => n + Math.max(0, Number(offset)), 0) === total;
      });
      await source.stop();
      const counters = await running;
      await deadLetters.close();

      const known = LABELS.filter((l) => l.vector !== null);
      const unknown = LABELS.filter((l) => l.vector === null);
      expect((await storedSamples(t)).sort(byKeyAndTs)).toEqual(known.map(expectedSample).sort(byKeyAndTs));
      expect(counters).toMatchObject({ records: total, collected: known.length, unknownEvent: unknown.length, bad: BAD_RECORDS.length });

      const expectedCodes: Record<string, number> = { 'unknown-event': unknown.length };
      for (const b of BAD_RECORDS) expectedCodes[b.code] = (expectedCodes[b.code] ?? 0) + 1;
      expect(deadLetters.counts()).toEqual(expectedCodes);
      const dead = await readRecords(kafka, topics.dlq, unknown.length + BAD_RECORDS.length);
      const unknownKeys = dead
        .filter((d) => d.headers['vigil-dlq-reason-code'] === 'unknown-event')
        .map((d) => (JSON.parse(d.value.toString('utf8')) as { raw: string }).raw)
        .map((raw) => (JSON.parse(raw) as { event_key: string }).event_key);
      expect(unknownKeys.sort()).toEqual(unknown.map((l) => l.label.event_key).sort());

      expect(atAck.length).toBeGreaterThan(0);
      for (const seen of atAck) expect({ samples: seen.samples, deadLetters: seen.deadLetters }).toEqual({ samples: seen.collected, deadLetters: seen.deadLettered });
    } finally {
      await t.remove();
    }
  }, 30_000);
});
