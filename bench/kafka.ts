/**
 * bench/kafka: end-to-end throughput and latency of `vigil serve` on the real broker.
 * Produces M flows (the committed sample, repeated with unique event ids) to a fresh topic,
 * runs the serve pipeline in this process (the same startServe the CLI runs), reads the verdict
 * topic, and reports events/s from the first send to the last verdict, and per-event latency
 * from just before its produce request was sent to the moment its verdict was read back.
 *
 *   npm run bench:kafka [-- --events 20000 --rate 0 --partitions 4 --batch-size 256 --backlog
 *                          --delivery exactly-once|at-least-once --redis redis://127.0.0.1:6379
 *                          --model DIR|VERSION --feature-pipeline]
 *
 * --delivery is serve's (default exactly-once: one transaction per micro-batch; the verdict
 * reader here reads read_committed). Per-IP state goes to the in-memory store, or to Redis
 * with --redis (keys under vigil-bench:<run>:, deleted afterwards). --model serves another model
 * (default: the registry's CURRENT); one of feature version 2, or --feature-pipeline, runs the
 * features topology, per-source feature states then in Redis with --redis.
 *
 * --backlog produces every flow before the pipeline starts, so events/s is the pipeline's
 * capacity (a producer in this process caps the live figure). Live, --rate 0 sends as fast as the broker takes it: latency then measures the backlog, not the
 * path. A rate below capacity (e.g. --rate 2000) measures the path itself. The producer, the
 * pipeline and the reader share one Node thread, as they would not in production: the figures
 * are a floor. Needs a broker (deploy/kafka/start.sh; VIGIL_KAFKA_BROKERS, default 127.0.0.1:9092).
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { DEMO_SAMPLE } from '../src/cli/commands/detect.js';
import { startServe } from '../src/cli/run-serve.js';
import { parseServeSettings } from '../src/config/serve-settings.js';
import type { FlowEvent } from '../src/events/flow-event.js';
import type { Verdict } from '../src/events/verdict.js';
import { ensureTopics } from '../src/kafka/admin.js';
import { createKafka } from '../src/kafka/client.js';
import { createFlowEncoder } from '../src/kafka/flow-codec.js';
import { readFlows } from '../src/sources/read-events.js';
import { deleteKeysWithPrefix } from '../src/store/redis/delete-prefix.js';
import { LatencyRecorder } from '../src/telemetry/latency.js';

const { Partitioners } = kafkajs;

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    rate: { type: 'string', default: '0' },
    partitions: { type: 'string', default: '4' },
    'batch-size': { type: 'string', default: '256' },
    'batch-wait-ms': { type: 'string', default: '20' },
    backend: { type: 'string', default: 'auto' },
    backlog: { type: 'boolean', default: false },
    delivery: { type: 'string', default: 'exactly-once' },
    redis: { type: 'string' },
    model: { type: 'string' },
    'feature-pipeline': { type: 'boolean', default: false },
  },
});
const M = Number(values.events);
const rate = Number(values.rate);
const partitions = Number(values.partitions);
const backlog = values.backlog;
/** Flows per produce request: ~2.5 kB each as JSON, under the broker's 1 MB request limit. */
const FLOWS_PER_REQUEST = 200;
const brokers = (process.env.VIGIL_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

/** M encoded records: the sample repeated, each copy with its own event ids. */
async function benchRecords(): Promise<{ eventId: string; key: string; value: Buffer }[]> {
  const { events: flows } = await readFlows(DEMO_SAMPLE);
  const encode = createFlowEncoder({ type: 'json' });
  return Array.from({ length: M }, (_, i) => {
    const flow = flows[i % flows.length] as FlowEvent;
    const eventId = `${flow.eventId}#${Math.floor(i / flows.length)}`;
    return { eventId, key: flow.srcIp, value: encode({ ...flow, eventId }) };
  });
}

async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect();
  }
}

/** Deletes the state keys this run wrote. */
async function deleteBenchKeys(url: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await deleteKeysWithPrefix(client, keyPrefix);
  } finally {
    await client.quit();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const run = randomBytes(4).toString('hex');
const topics = { flows: `vigil-bench-flows-${run}`, verdicts: `vigil-bench-verdicts-${run}`, dlq: `vigil-bench-dlq-${run}` };
const kafka = createKafka({ brokers, clientId: 'vigil-bench' });
const keyPrefix = `vigil-bench:${run}:`;
const records = await benchRecords();
await ensureTopics(kafka, [
  { topic: topics.flows, partitions },
  { topic: topics.verdicts, partitions },
  { topic: topics.dlq, partitions },
]);

const sentAt = new Map<string, number>();
const e2e = new LatencyRecorder();
let received = 0;
let lastReceivedAt = 0;
// read_committed: with exactly-once delivery a verdict counts once its transaction committed.
const reader = kafka.consumer({ groupId: `vigil-bench-reader-${run}`, maxWaitTimeInMs: 10, readUncommitted: false });
await reader.connect();
await reader.subscribe({ topics: [topics.verdicts], fromBeginning: true });
await reader.run({
  eachBatch: async ({ batch }) => {
    const now = performance.now();
    for (const message of batch.messages) {
      const verdict = JSON.parse((message.value ?? Buffer.alloc(0)).toString('utf8')) as Verdict;
      const sent = sentAt.get(verdict.eventKey);
      if (sent !== undefined) e2e.recordMs(now - sent);
      received += 1;
    }
    lastReceivedAt = now;
  },
});

/** Sends every record (paced at --rate when set); returns the seconds it took. */
async function produceAll(): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const started = performance.now();
  try {
    for (let i = 0; i < records.length; i += FLOWS_PER_REQUEST) {
      if (rate > 0) {
        const wait = started + (i / rate) * 1000 - performance.now();
        if (wait > 0) await sleep(wait);
      }
      const chunk = records.slice(i, i + FLOWS_PER_REQUEST);
      const now = performance.now();
      for (const r of chunk) sentAt.set(r.eventId, now);
      await producer.send({ topic: topics.flows, acks: -1, messages: chunk.map((r) => ({ key: r.key, value: r.value })) });
    }
  } finally {
    await producer.disconnect();
  }
  return (performance.now() - started) / 1000;
}

const startServing = (): ReturnType<typeof startServe> =>
  startServe(
    parseServeSettings({
      brokers,
      groupId: `vigil-bench-${run}`,
      inputTopics: [topics.flows],
      verdictTopic: topics.verdicts,
      dlqTopic: topics.dlq,
      partitions,
      batchSize: Number(values['batch-size']),
      batchWaitMs: Number(values['batch-wait-ms']),
      backend: values.backend,
      delivery: values.delivery,
      ...(values.redis ? { redis: values.redis, keyPrefix } : {}),
      ...(values.model !== undefined && { model: values.model }),
      featurePipeline: values['feature-pipeline'],
    }),
    { kafka },
  );

const mode = backlog ? 'backlog (all produced first)' : `live, rate ${rate > 0 ? `${rate}/s` : 'max'}`;
console.log(
  `bench/kafka: ${M} flows, ${partitions} partitions, batch ${values['batch-size']}, ${mode}, delivery ${values.delivery}, ` +
    `state ${values.redis ? `redis ${values.redis}` : 'in memory'}, model ${values.model ?? 'CURRENT'}${values['feature-pipeline'] ? ', feature pipeline' : ''}, brokers ${brokers.join(',')}`,
);
let producedSeconds: number;
let serve: Awaited<ReturnType<typeof startServe>>;
let firstAt: number;
if (backlog) {
  producedSeconds = await produceAll();
  serve = await startServing();
  // From here the pipeline only consumes: the figure is its capacity, not the producer's.
  firstAt = performance.now();
} else {
  serve = await startServing();
  firstAt = performance.now();
  producedSeconds = await produceAll();
}
const deadline = performance.now() + 120_000;
while (received < M && performance.now() < deadline) await sleep(20);
const seconds = (lastReceivedAt - firstAt) / 1000;
const result = await serve.stop();
await reader.disconnect();
await deleteTopics(kafka, Object.values(topics));
if (values.redis) await deleteBenchKeys(values.redis);

const { p50, p99, max } = e2e.summary();
console.log(`verdicts read back ${received} of ${M}${received < M ? ' (timed out after 120 s)' : ''}`);
console.log(`produced in ${producedSeconds.toFixed(2)} s (${(M / producedSeconds).toFixed(0)} flows/s, ${FLOWS_PER_REQUEST} per request, in this process)`);
console.log(`end to end: ${(received / seconds).toFixed(0)} events/s over ${seconds.toFixed(2)} s (${backlog ? 'serve start' : 'first send'} -> last verdict read)`);
console.log(`latency produce -> verdict read${backlog ? ' (includes the wait in the backlog)' : ''}: p50 ${p50.toFixed(1)} ms  p99 ${p99.toFixed(1)} ms  max ${max.toFixed(1)} ms`);
console.log(
  `in the pipeline (record read -> verdict scored): p50 ${result.latencyMs.p50.toFixed(1)} ms  p99 ${result.latencyMs.p99.toFixed(1)} ms; model ${result.model}, backend ${result.backend}`,
);
const sources = result.state.sources;
const stateLine = sources
  ? `feature states ${result.state.store}: ${sources.restored} restored, ${sources.rewound} rewound (${sources.lost} lost), ${sources.fresh} new, ${sources.saved} saved; graph ${result.state.globalStates ?? '-'}, ${sources.undoneBatches} stale batches undone`
  : `state ${result.state.store}: ${result.state.applied} applied, ${result.state.skipped} skipped`;
console.log(
  `delivery ${result.delivery}${result.transactions ? ` (${result.transactions.commits} transactions, ${result.transactions.discards} stale batches dropped)` : ''}; ${stateLine}`,
);
console.log(`heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB`);
