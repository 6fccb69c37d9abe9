/**
 * What the `vigil serve` tests share: real CICIDS2017 flows from the committed sample, the CLI
 * as a child process (its JSON progress lines parsed), and a plain kafkajs reader that keeps
 * every verdict it sees, duplicates included.
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
import { openFileSource } from '../../src/sources/file-source.js';
import { BROKERS, produce, randomName } from '../kafka/broker.js';

/** The first `n` flows of the committed sample (real CICIDS2017 hold-out rows), decoded. */
export async function realFlows(n: number): Promise<FlowEvent[]> {
  const { source, decoder } = await openFileSource(DEMO_SAMPLE);
  const flows: FlowEvent[] = [];
  try {
    for await (const batch of source.batches({ maxSize: 512, maxWaitMs: 0 })) {
      for (const record of batch) {
        const decoded = decoder.decode(record);
        if (!decoded.ok) throw new Error(`the committed sample has a bad row: ${decoded.reason}`);
        flows.push(decoded.value);
      }
      if (flows.length >= n) break;
    }
  } finally {
    await source.close();
  }
  if (flows.length < n) throw new Error(`the sample holds ${flows.length} flows, fewer than ${n}`);
  return flows.slice(0, n);
}

/** Produces flows as JSON, keyed by source IP (so Kafka's partitioner spreads them as vigil's producers would). */
export async function produceFlows(kafka: Kafka, topic: string, flows: readonly FlowEvent[]): Promise<void> {
  const encode = createFlowEncoder({ type: 'json' });
  await produce(kafka, topic, flows.map((f) => ({ key: f.srcIp, value: encode(f) })));
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
  /** Resolves when the process exits, with the final summary when it printed one. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; result: ServeResult | undefined }>;
}

/** Runs `node bin/vigil.js serve --json ...args` against the test broker. */
export function spawnServe(args: readonly string[]): ServeProcess {
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin', 'vigil.js'), 'serve', '--json', ...args], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, VIGIL_KAFKA_BROKERS: BROKERS.join(',') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const progress: ServeProgress[] = [];
  const stderr: string[] = [];
  let stdout = '';
  let partial = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      stderr.push(line);
      if (line.startsWith('{"progress"')) progress.push((JSON.parse(line) as { progress: ServeProgress }).progress);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; result: ServeResult | undefined }>((resolve) => {
    child.on('exit', (code, signal) => {
      const last = stdout.trim().split('\n').at(-1);
      resolve({ code, signal, result: last?.startsWith('{') ? (JSON.parse(last) as ServeResult) : undefined });
    });
  });
  return { child, progress, stderr, exited };
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
  const consumer = kafka.consumer({ groupId: randomName('vigil-test-verdicts'), maxWaitTimeInMs: 100 });
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
