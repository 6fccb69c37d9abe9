import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFeatures } from '../../src/cli/run-features.js';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { ensureTopics } from '../../src/kafka/admin.js';
import type { FeatureLine } from '../../src/vector/v2/feature-line-sink.js';
import { writeV2Inputs, type V2Inputs } from '../features/v2-fixtures.js';
import { BROKERS, deleteTopics, ensureBroker, produce, randomName, testKafka, waitFor } from '../kafka/broker.js';

/**
 * The features topology on a Kafka topic of raw Cowrie JSON lines, as a log shipper forwards
 * them: the same vectors as the same lines read from a file, offsets committed as batches
 * become durable, and the run ends when asked to stop.
 */
const kafka = testKafka();
const topic = randomName('vigil-test-features-cowrie');
let inputs: V2Inputs;
let lines: string[];

function linesOf(path: string): FeatureLine[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8').trimEnd();
  return text.length === 0 ? [] : text.split('\n').map((l) => JSON.parse(l) as FeatureLine);
}

beforeAll(async () => {
  await ensureBroker();
  inputs = writeV2Inputs();
  lines = readFileSync(inputs.cowrie, 'utf8').trimEnd().split('\n');
  // One partition: a topic keeps order per partition, and the file is one ordered stream.
  await ensureTopics(kafka, [{ topic, partitions: 1 }]);
  await produce(kafka, topic, lines.map((value) => ({ key: null, value })));
}, 60_000);

afterAll(async () => {
  await deleteTopics(kafka, [topic]);
});

describe('vigil features on a Kafka topic', () => {
  it('gives the vectors of the same Cowrie lines read from a file, then stops on request', async () => {
    const fromFile = join(inputs.dir, 'cowrie-file.jsonl');
    const fromTopic = join(inputs.dir, 'cowrie-topic.jsonl');
    const common = { dlq: null, batchSize: 16, batchWaitMs: 20 };
    const file = await runFeatures({ inputs: [inputs.cowrie], out: fromFile, ...common });

    const stop = new AbortController();
    const run = runFeatures({ inputs: [], out: fromTopic, ...common, kafka: { brokers: BROKERS, topics: [topic], groupId: randomName('vigil-test-features'), events: 'cowrie-json', stop: stop.signal } });
    await waitFor('every record featurized', () => linesOf(fromTopic).length >= file.events, 60_000);
    stop.abort();
    const live = await run;

    expect(live.records).toBe(lines.length);
    expect(live.events).toBe(file.events);
    expect(live.deadLettered).toBe(file.deadLettered);
    const a = linesOf(fromFile);
    const b = linesOf(fromTopic);
    expect(b.map((l) => l.eventId)).toEqual(a.map((l) => l.eventId));
    expect(b.map((l) => l.vector)).toEqual(a.map((l) => l.vector));
  }, 120_000);

  it('refuses per-source states over several input topics: a source would arrive on a partition of each', async () => {
    const run = runFeatures({
      inputs: [], out: null, dlq: null, batchSize: 16, batchWaitMs: 20, state: 'redis://127.0.0.1:6379',
      kafka: { brokers: BROKERS, topics: [topic, `${topic}-auth`], groupId: randomName('vigil-test-features'), events: 'cowrie-json', stop: new AbortController().signal },
    });
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(/one input topic/);
  });
});
