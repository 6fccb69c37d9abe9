/**
 * What the `vigil serve` tests share: real CICIDS2017 flows from the committed sample, the CLI
 * as a child process (its JSON progress lines parsed), a plain kafkajs reader (isolation
 * read_committed) that keeps every verdict it sees, duplicates included, and the per-IP state
 * serve leaves in Redis, with a single-process reference run to compare it with.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { DEMO_SAMPLE } from '../../src/cli/commands/detect.js';
import type { ServeProgress, ServeResult } from '../../src/cli/run-serve.js';
import { VerdictType, type FlowEvent } from '../../src/events/flow-event.js';
import type { Verdict } from '../../src/events/verdict.js';
import { createFlowEncoder } from '../../src/kafka/flow-codec.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { readFlows } from '../../src/sources/read-events.js';
import { afterAll, beforeAll, expect } from 'vitest';
import { ensureTopics } from '../../src/kafka/admin.js';
import { BROKERS, committedOffsets, deleteTopics, ensureBroker, produce, randomName, testKafka, waitFor } from '../kafka/broker.js';
import type { Redis } from 'ioredis';
import { BASELINE_FAMILY } from '../../src/aggregate/baseline-features.js';
import { deleteKeys, randomPrefix, REDIS_URL, testClient } from '../store/redis-test-client.js';

/**
 * `n` flows of the committed sample (real CICIDS2017 hold-out rows), decoded, taken at an even
 * stride over the whole file: its head holds only two source IPs, which would leave most
 * partitions of a topic keyed by source IP empty.
 */
export async function realFlows(n: number): Promise<FlowEvent[]> {
  const { events: all, bad } = await readFlows(DEMO_SAMPLE);
  if (bad > 0) throw new Error(`the committed sample has ${bad} bad rows`);
  if (all.length < n) throw new Error(`the sample holds ${all.length} flows, fewer than ${n}`);
  return Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)] as FlowEvent);
}

/** Flows per produce request: ~2.5 kB each as JSON, under the broker's 1 MB request limit. */
const FLOWS_PER_REQUEST = 200;

/** Produces flows as JSON, keyed by source IP (so Kafka's partitioner spreads them as vigil's producers would). */
export async function produceFlows(kafka: Kafka, topic: string, flows: readonly FlowEvent[]): Promise<void> {
  const encode = createFlowEncoder({ type: 'json' });
  for (let i = 0; i < flows.length; i += FLOWS_PER_REQUEST) {
    await produce(kafka, topic, flows.slice(i, i + FLOWS_PER_REQUEST).map((f) => ({ key: f.srcIp, value: encode(f) })));
  }
}

/** The next offset of every partition of `topic` (where a fully consumed group's commits sit). */
export async function endOffsets(kafka: Kafka, topic: string): Promise<Record<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return Object.fromEntries(offsets.map((o) => [o.partition, o.high]));
  } finally {
    await admin.disconnect();
  }
}

export interface ServeProcess {
  child: ChildProcess;
  /** Progress reports so far (from `--json` stderr lines). */
  progress: ServeProgress[];
  stderr: string[];
  /** Resolves once serve reports it joined the group and runs (topics ensured); rejects if it exits first. */
  started: Promise<void>;
  /** Resolves when the process exits, with the final summary when it printed one. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; result: ServeResult | undefined }>;
}

/** Runs `node bin/vigil.js serve --json ...args` against the test broker, with `env` added to the environment. */
export function spawnServe(args: readonly string[], env: Readonly<Record<string, string>> = {}): ServeProcess {
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'vigil.js'), 'serve', '--json', ...args], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, VIGIL_KAFKA_BROKERS: BROKERS.join(','), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const progress: ServeProgress[] = [];
  const stderr: string[] = [];
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  let stdout = '';
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      stderr.push(line);
      if (line.startsWith('{"progress"')) progress.push((JSON.parse(line) as { progress: ServeProgress }).progress);
      if (line.startsWith('{"started"')) markStarted();
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; result: ServeResult | undefined }>((resolve) => {
    child.on('exit', (code, signal) => {
      const last = stdout.trim().split('\n').at(-1);
      resolve({ code, signal, result: last?.startsWith('{') ? (JSON.parse(last) as ServeResult) : undefined });
    });
  });
  const exitedEarly = exited.then(({ code, signal }) => {
    throw new Error(`vigil serve exited (code ${code}, signal ${signal}) before it started:\n${stderr.join('\n')}`);
  });
  const startedOrExited = Promise.race([started, exitedEarly]);
  // A test that expects serve to fail at startup never awaits `started`: that is not an
  // unhandled rejection. A test that awaits it still sees the rejection.
  startedOrExited.catch(() => undefined);
  return { child, progress, stderr, started: startedOrExited, exited };
}

/** The latest progress of a serve process, or undefined before its first report. */
export function latestProgress(p: ServeProcess): ServeProgress | undefined {
  return p.progress.at(-1);
}

export interface ReceivedVerdict {
  key: string | null;
  partition: number;
  verdict: Verdict;
}

export interface VerdictCollector {
  received: ReceivedVerdict[];
  /** Distinct event keys among the verdicts received. */
  distinctKeys(): number;
  close(): Promise<void>;
}

/** Reads every verdict of `topic` (JSON) from the beginning, in a group of its own, until closed. */
export async function collectVerdicts(kafka: Kafka, topic: string): Promise<VerdictCollector> {
  // read_committed (kafkajs' default, spelt out): exactly-once serve writes in transactions,
  // and an aborted transaction's verdicts must not count.
  const consumer = kafka.consumer({ groupId: randomName('vigil-test-verdicts'), maxWaitTimeInMs: 100, readUncommitted: false });
  const received: ReceivedVerdict[] = [];
  const keys = new Set<string>();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const verdict = JSON.parse((message.value ?? Buffer.alloc(0)).toString('utf8')) as Verdict;
      if (!VerdictType.isValid(verdict)) throw new Error(`a verdict on ${topic} does not fit schemas/verdict.avsc: ${message.value?.toString('utf8')}`);
      received.push({ key: message.key?.toString('utf8') ?? null, partition, verdict });
      keys.add(verdict.eventKey);
    },
  });
  return { received, distinctKeys: () => keys.size, close: () => consumer.disconnect() };
}

/** How many verdicts each event key got. */
export function verdictCounts(received: readonly ReceivedVerdict[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { verdict } of received) counts.set(verdict.eventKey, (counts.get(verdict.eventKey) ?? 0) + 1);
  return counts;
}

/** How many flows each source IP sent: what the verdicts keyed by source IP must add up to. */
export function flowsPerKey(flows: readonly FlowEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of flows) counts.set(f.srcIp, (counts.get(f.srcIp) ?? 0) + 1);
  return counts;
}

/** How many verdicts each record key (source IP) got. */
export function verdictsPerKey(received: readonly ReceivedVerdict[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { key } of received) counts.set(String(key), (counts.get(String(key)) ?? 0) + 1);
  return counts;
}

export interface ServeFixture {
  kafka: Kafka;
  topics: { flows: string; verdicts: string; dlq: string; referenceVerdicts: string; referenceDlq: string };
  /** Serve processes of the file: any still alive after its tests is killed. */
  running: ServeProcess[];
  /** A Redis client for reading the state serve wrote (keys under `statePrefix()` are deleted after the file). */
  redis: Redis;
  /** A fresh key prefix for one serve run's state. */
  statePrefix(): string;
}

/**
 * For one test file: random flows/verdicts/dlq topic names (the flows topic created with
 * `partitions` before the tests, so serve finds it as the producer left it), and cleanup of
 * processes and topics after them.
 */
export function useServeFixture(prefix: string, partitions: number): ServeFixture {
  const prefixes: string[] = [];
  const fixture: ServeFixture = {
    kafka: testKafka(),
    topics: {
      flows: randomName(`${prefix}-flows`),
      verdicts: randomName(`${prefix}-verdicts`),
      dlq: randomName(`${prefix}-dlq`),
      referenceVerdicts: randomName(`${prefix}-ref-verdicts`),
      referenceDlq: randomName(`${prefix}-ref-dlq`),
    },
    running: [],
    redis: testClient(),
    statePrefix: () => {
      const p = randomPrefix();
      prefixes.push(p);
      return p;
    },
  };
  beforeAll(async () => {
    await ensureBroker();
    await ensureTopics(fixture.kafka, [{ topic: fixture.topics.flows, partitions }]);
  });
  afterAll(async () => {
    for (const p of fixture.running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await deleteTopics(fixture.kafka, Object.values(fixture.topics));
    for (const p of prefixes) await deleteKeys(fixture.redis, p);
    await fixture.redis.quit();
  });
  return fixture;
}

/** `--redis` and `--key-prefix` for a serve run keeping its state under `keyPrefix`. */
export function stateArgs(keyPrefix: string): string[] {
  return ['--redis', REDIS_URL, '--key-prefix', keyPrefix];
}

/** Every baseline key under `keyPrefix`: source IP -> its hash as Redis holds it (fields and `@p:` positions). */
export async function baselineState(redis: Redis, keyPrefix: string): Promise<Map<string, Record<string, string>>> {
  const head = `${keyPrefix}${BASELINE_FAMILY.name}:`;
  const out = new Map<string, Record<string, string>>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${head}*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) out.set(key.slice(head.length), await redis.hgetall(key));
  } while (cursor !== '0');
  return out;
}

/** Waits until `groupId` has committed the end of every partition of `topic` (everything there is processed). */
export async function waitCommittedToEnd(kafka: Kafka, groupId: string, topic: string, timeoutMs: number): Promise<void> {
  const ends = await endOffsets(kafka, topic);
  await waitFor(`group ${groupId} to commit the end of ${topic}`, async () => {
    const committed = await committedOffsets(kafka, groupId, topic);
    return Object.entries(ends).every(([partition, end]) => committed[Number(partition)] === end);
  }, timeoutMs);
}

/**
 * The state a single serve process leaves for the flows topic of `fixture` (already holding
 * every flow): one process in a group of its own, state under a fresh prefix, verdicts to the
 * reference topics; stopped with SIGTERM once it committed everything.
 */
export async function referenceState(fixture: ServeFixture): Promise<Map<string, Record<string, string>>> {
  const keyPrefix = fixture.statePrefix();
  const groupId = randomName('vigil-reference-group');
  const { topics } = fixture;
  const serve = spawnServe([
    '--group', groupId, '--input-topic', topics.flows, '--verdict-topic', topics.referenceVerdicts, '--dlq-topic', topics.referenceDlq,
    ...stateArgs(keyPrefix),
  ]);
  fixture.running.push(serve);
  await serve.started;
  await waitCommittedToEnd(fixture.kafka, groupId, topics.flows, 60_000);
  serve.child.kill('SIGTERM');
  const { code } = await serve.exited;
  if (code !== 0) throw new Error(`the reference serve exited with ${code}:\n${serve.stderr.join('\n')}`);
  return baselineState(fixture.redis, keyPrefix);
}

export interface CrashRestart {
  groupId: string;
  /** Where both runs kept their state. */
  keyPrefix: string;
  /** Distinct verdicts committed when the first process was killed. */
  beforeCrash: number;
  /** Every verdict read (read_committed), duplicates included. */
  received: ReceivedVerdict[];
  /** The restarted process's final summary. */
  result: ServeResult | undefined;
}

/**
 * kill -9 and restart: one serve on the fixture's flows topic (state in Redis, batches of 32,
 * the same transactional id before and after, so the restart fences the killed producer) is
 * killed with SIGKILL while the first half of `flows` is being scored; the second half is
 * produced, a new process started with the same arguments, and stopped with SIGTERM once
 * every flow has a verdict. Asserts what any run must give: the kill, a clean exit, and
 * every offset committed.
 */
export async function crashAndRestart(
  fixture: ServeFixture,
  flows: readonly FlowEvent[],
  o: { name: string; partitions: number; sessionTimeoutMs: number; args?: readonly string[] },
): Promise<CrashRestart> {
  const { kafka, topics, running } = fixture;
  const groupId = randomName(`${o.name}-group`);
  const keyPrefix = fixture.statePrefix();
  const args = [
    ...(o.args ?? []),
    '--group', groupId, '--input-topic', topics.flows, '--verdict-topic', topics.verdicts, '--dlq-topic', topics.dlq,
    '--partitions', String(o.partitions), '--summary-interval-ms', '300',
    '--session-timeout-ms', String(o.sessionTimeoutMs), '--heartbeat-interval-ms', '500',
    '--transactional-id', `${groupId}-engine-0`,
    ...stateArgs(keyPrefix),
    '--batch-size', '32',
  ];
  const first = spawnServe(args);
  running.push(first);
  await first.started;
  const verdicts = await collectVerdicts(kafka, topics.verdicts);
  try {
    const half = Math.floor(flows.length / 2);
    await produceFlows(kafka, topics.flows, flows.slice(0, half));
    await waitFor('the first half to start scoring', () => (latestProgress(first)?.events ?? 0) > 0 && verdicts.distinctKeys() > 0, 30_000);
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const beforeCrash = verdicts.distinctKeys();
    await produceFlows(kafka, topics.flows, flows.slice(half));

    const second = spawnServe(args);
    running.push(second);
    await second.started;
    await waitFor(`${flows.length} distinct verdicts`, () => verdicts.distinctKeys() >= flows.length, o.sessionTimeoutMs + 60_000);
    second.child.kill('SIGTERM');
    const { code, result } = await second.exited;
    expect(code, second.stderr.join('\n')).toBe(0);
    expect(await committedOffsets(kafka, groupId, topics.flows)).toEqual(await endOffsets(kafka, topics.flows));
    expect(beforeCrash, 'the kill landed mid-stream').toBeLessThan(half);
    return { groupId, keyPrefix, beforeCrash, received: [...verdicts.received], result };
  } finally {
    await verdicts.close();
  }
}
