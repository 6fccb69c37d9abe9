/**
 * The real broker the Kafka tests run against (deploy/kafka/start.sh: Apache Kafka 4.4, KRaft,
 * 127.0.0.1:9092), random topic and group names so runs never see each other's records, and
 * plain kafkajs producers/readers so what the adapter wrote is checked by code other than its own.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import type { IHeaders, Kafka } from 'kafkajs';
import { ensureTopics } from '../../src/kafka/admin.js';
import type { FlowEvent } from '../../src/events/flow-event.js';
import { THREAT_CLASSES } from '../../src/events/threat-classes.js';
import type { Verdict } from '../../src/events/verdict.js';
import { FLOW_FEATURE_NAMES } from '../../src/features/flow-features.js';
import { createKafka } from '../../src/kafka/client.js';
import type { KafkaPosition } from '../../src/kafka/kafka-record.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import type { RawRecord } from '../../src/sources/record.js';

const { Partitioners, logLevel } = kafkajs;

export const BROKERS = (process.env.VIGIL_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/**
 * The adapter's client. kafkajs logs nothing unless VIGIL_KAFKA_TEST_LOG names a level: the
 * rebalances the tests cause on purpose would fill the output, and what matters reaches the
 * tests as errors.
 */
export function testKafka(): Kafka {
  const logLevel = (process.env.VIGIL_KAFKA_TEST_LOG ?? 'nothing') as 'nothing' | 'error' | 'warn' | 'info' | 'debug';
  return createKafka({ brokers: BROKERS, clientId: 'vigil-test', logLevel });
}

async function brokerAnswers(): Promise<boolean> {
  const probe = new kafkajs.Kafka({ brokers: BROKERS, clientId: 'vigil-test-probe', connectionTimeout: 1000, retry: { retries: 0 }, logLevel: logLevel.NOTHING });
  const admin = probe.admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return true;
  } catch {
    // Not answering is the expected answer when the broker is down: start it.
    return false;
  } finally {
    await admin.disconnect();
  }
}

/** Starts the broker with deploy/kafka/start.sh unless one answers already. */
export async function ensureBroker(): Promise<void> {
  if (await brokerAnswers()) return;
  execFileSync('bash', [join(PACKAGE_ROOT, 'deploy/kafka/start.sh')], { stdio: 'inherit', timeout: 150_000 });
  if (!(await brokerAnswers())) throw new Error(`no Kafka broker answers on ${BROKERS.join(',')} even after deploy/kafka/start.sh`);
}

export function randomName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}

/**
 * For one test file: makes sure the broker runs before its tests, and returns `newTopic`,
 * which creates a randomly named topic that is deleted after the file's tests.
 */
export function useTestTopics(kafka: Kafka, prefix: string): (partitions: number) => Promise<string> {
  const topics: string[] = [];
  beforeAll(ensureBroker);
  afterAll(() => deleteTopics(kafka, topics));
  return async (partitions) => {
    const topic = randomName(prefix);
    topics.push(topic);
    await ensureTopics(kafka, [{ topic, partitions }]);
    return topic;
  };
}

/** Deletes those of `topics` that exist (a failed setup may not have created them all). */
export async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((t) => existing.has(t));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed });
  } finally {
    await admin.disconnect();
  }
}

/** The group's committed offset per partition ("-1": none). */
export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Record<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((t?.partitions ?? []).map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

export interface TestRecord {
  key: string | null;
  value: Buffer | string | null;
  partition?: number;
}

/** Produces records with a plain kafkajs producer (explicit partitions where given). */
export async function produce(kafka: Kafka, topic: string, records: readonly TestRecord[]): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: records.map((r) => ({ ...r })) });
  } finally {
    await producer.disconnect();
  }
}

export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

function headerText(headers: IHeaders | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v)]));
}

/** Reads `count` records of `topic` from the beginning with a plain kafkajs consumer. */
export async function readRecords(kafka: Kafka, topic: string, count: number, timeoutMs = 15_000): Promise<ReadRecord[]> {
  const consumer = kafka.consumer({ groupId: randomName('vigil-test-reader'), maxWaitTimeInMs: 100 });
  const out: ReadRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${out.length} of ${count} records from ${topic} within ${timeoutMs} ms`)), timeoutMs);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          out.push({ partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value: message.value ?? Buffer.alloc(0), headers: headerText(message.headers) });
          if (out.length >= count) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

/** `n` flows with every field set (some features NaN), deterministic for a seed. */
export function sampleFlows(n: number, seed = 1): FlowEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const features: Record<string, number> = {};
    FLOW_FEATURE_NAMES.forEach((name, j) => {
      features[name] = (i + j + seed) % 17 === 0 ? Number.NaN : ((i + 1) * (j + 3) * seed) / 7;
    });
    return {
      eventId: `flow-${seed}-${i}`,
      srcIp: `10.${seed % 250}.${i % 4}.${(i * 7) % 250}`,
      srcPort: 1024 + i,
      dstIp: '192.168.1.10',
      dstPort: [80, 443, 22][i % 3] as number,
      protocol: i % 5 === 0 ? 17 : 6,
      ts: 1_700_000_000_000 + i * 1000,
      features,
      label: i % 3 === 0 ? 'DoS Hulk' : null,
    };
  });
}

/** `n` verdicts that fit schemas/verdict.avsc, over three source IPs and every class. */
export function sampleVerdicts(n: number): Verdict[] {
  return Array.from({ length: n }, (_, i) => {
    const cls = THREAT_CLASSES[i % THREAT_CLASSES.length]!;
    const probabilities = Object.fromEntries(THREAT_CLASSES.map((c) => [c, c === cls ? 0.94 : 0.01])) as Verdict['probabilities'];
    return {
      eventKey: `flow-${i}`,
      srcIp: `10.1.${i % 3}.${i}`,
      class: cls,
      probabilities,
      modelVersion: 'v1',
      featureVersion: 1,
      latencyMs: 1.25 * i,
      ts: 1_700_000_000_000 + i,
      scoredAt: 1_700_000_100_000 + i,
    };
  });
}

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pulls batches until they hold at least `n` records (fails after `timeoutMs`). */
export async function pullRecords<R>(batches: AsyncIterator<R[]>, n: number, timeoutMs = 15_000): Promise<R[][]> {
  const out: R[][] = [];
  let total = 0;
  const deadline = Date.now() + timeoutMs;
  while (total < n) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`pulled ${total} of ${n} records within ${timeoutMs} ms`)), Math.max(0, deadline - Date.now()));
    });
    const step = await Promise.race([batches.next(), timeout]).finally(() => clearTimeout(timer));
    if (step.done) throw new Error(`the source ended after ${total} of ${n} records`);
    out.push(step.value);
    total += step.value.length;
  }
  return out;
}

/** The Kafka position of a record a Kafka source produced. */
export function kafkaPosition(record: RawRecord): KafkaPosition {
  if (record.position.kind !== 'kafka') throw new Error(`expected a Kafka position, got a ${record.position.kind} one`);
  return record.position;
}
