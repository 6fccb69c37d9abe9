/**
 * The detect topology, unchanged, between Kafka topics: flows in (JSON, two bad records among
 * them), verdicts and dead letters out, offsets committed once both are acknowledged, and a
 * graceful stop that ends the pipeline.
 */
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import type { Classifier, Prediction } from '../../src/inference/classifier.js';
import { THREAT_CLASSES } from '../../src/events/threat-classes.js';
import { ensureTopics } from '../../src/kafka/admin.js';
import { openKafkaDeadLetterSink } from '../../src/kafka/dead-letter-sink.js';
import { createFlowEncoder } from '../../src/kafka/flow-codec.js';
import { openKafkaFlowSource } from '../../src/kafka/kafka-flow-source.js';
import { openKafkaVerdictSink } from '../../src/kafka/verdict-sink.js';
import { VerdictType } from '../../src/events/flow-event.js';
import type { Verdict } from '../../src/events/verdict.js';
import { detectTopology } from '../../topologies/detect.js';
import { committedOffsets, deleteTopics, ensureBroker, produce, randomName, readRecords, sampleFlows, testKafka, waitFor } from './broker.js';

let kafka: Kafka;

/**
 * A stand-in model (row i gets class i mod 7): this test is about the Kafka wiring, and must
 * not depend on the shipped model matching the current feature layout.
 */
const stubClassifier = {
  version: 'stub-1',
  featureVersion: 1,
  predictBatch(_vectors: Float32Array, n: number): Prediction {
    const k = THREAT_CLASSES.length;
    const probs = new Float32Array(n * k);
    const predicted = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      predicted[i] = i % k;
      probs[i * k + (i % k)] = 1;
    }
    return { probs, predicted };
  },
} as unknown as Classifier;
const topics = { flows: randomName('vigil-test-flows'), verdicts: randomName('vigil-test-verdicts'), dlq: randomName('vigil-test-dlq') };

beforeAll(async () => {
  await ensureBroker();
  kafka = testKafka();
  await ensureTopics(kafka, [
    { topic: topics.flows, partitions: 2 },
    { topic: topics.verdicts, partitions: 2 },
    { topic: topics.dlq, partitions: 1 },
  ]);
});
afterAll(async () => {
  await deleteTopics(kafka, Object.values(topics));
});

describe('detect topology on Kafka', () => {
  it('scores flows from a topic to the verdict topic, dead-letters bad records, commits, stops cleanly', async () => {
    const flows = sampleFlows(40, 7);
    const encode = createFlowEncoder({ type: 'json' });
    const records = flows.map((f, i) => ({ key: f.srcIp, value: encode(f) as Buffer | string, partition: i % 2 }));
    records[5] = { key: 'bad', value: '{"truncated":', partition: 1 };
    records[12] = { key: 'bad', value: encode({ ...flows[12]!, protocol: 99 }), partition: 0 };
    await produce(kafka, topics.flows, records);

    const groupId = randomName('vigil-test-detect');
    const { source, decoder } = await openKafkaFlowSource(kafka, { topics: [topics.flows], groupId, fromBeginning: true, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 });
    const verdictSink = await openKafkaVerdictSink(kafka, { topic: topics.verdicts, format: { type: 'avro' } });
    const deadLetters = await openKafkaDeadLetterSink(kafka, { topic: topics.dlq });
    const done = lastValueFrom(
      detectTopology({ source, decoder, deadLetters, verdicts: verdictSink, models: { current: () => stubClassifier }, batch: { maxSize: 16, maxWaitMs: 50 } }).pipe(toArray()),
    );

    await waitFor('all 40 records committed', async () => {
      const c = await committedOffsets(kafka, groupId, topics.flows);
      return c[0] === '20' && c[1] === '20';
    });
    const report = await source.stop();
    const batches = await done;
    await verdictSink.close();
    await deadLetters.close();

    expect(report).toMatchObject({ undrainedBatches: 0, droppedBuffered: 0 });
    expect(batches.reduce((n, b) => n + b.size, 0)).toBe(40);
    expect(deadLetters.counts()).toEqual({ 'bad-json': 1, 'unknown-protocol': 1 });
    const good = flows.filter((_, i) => i !== 5 && i !== 12);
    const out = await readRecords(kafka, topics.verdicts, good.length);
    const scored = out.map((r) => ({ key: r.key, verdict: VerdictType.fromBuffer(r.value) as Verdict }));
    expect(scored.map((s) => s.verdict.eventKey).sort()).toEqual(good.map((f) => f.eventId).sort());
    for (const s of scored) {
      expect(s.key).toBe(s.verdict.srcIp);
      expect(s.verdict.modelVersion).toBe('stub-1');
    }
    const dead = await readRecords(kafka, topics.dlq, 2);
    expect(dead.map((d) => d.key).sort()).toEqual([`${topics.flows}[0]@6`, `${topics.flows}[1]@2`]);
  });
});
