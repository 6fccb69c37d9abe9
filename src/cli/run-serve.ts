/**
 * serve: the detect topology between Kafka topics, as a long-running member of a consumer
 * group. Wiring only: the stages are the detect topology's, the adapters are src/kafka's.
 *
 * Lifecycle:
 *   1. load the model (once; verdicts carry its version), ensure the topics exist;
 *   2. open the verdict and dead-letter sinks, then the source (joining the group);
 *   3. run the topology; every `summaryIntervalMs` report progress;
 *   4. stop(): the source stops handing out batches and drains (the batches in the pipeline
 *      become durable and their offsets are committed), the topology completes, the sinks
 *      close, and the final result is returned. A topology failure takes the same path and
 *      rejects with the failure.
 * Output is keyed by source IP: the verdict sink keys each verdict by srcIp.
 */
import { defaultIfEmpty, lastValueFrom, tap } from 'rxjs';
import type { Kafka } from 'kafkajs';
import { detectTopology } from '../../topologies/detect.js';
import { inputFormat, verdictFormat, type ServeSettings } from '../config/serve-settings.js';
import { initBackend } from '../inference/backend.js';
import { loadClassifier } from '../inference/classifier.js';
import { ensureTopics, type EnsureTopicsReport } from '../kafka/admin.js';
import { createKafka } from '../kafka/client.js';
import { openKafkaDeadLetterSink, type KafkaDeadLetterSink } from '../kafka/dead-letter-sink.js';
import { openKafkaFlowSource } from '../kafka/kafka-flow-source.js';
import type { KafkaSource, KafkaStopReport } from '../kafka/kafka-source.js';
import type { TopicPartition } from '../kafka/offset-ledger.js';
import { openKafkaVerdictSink, type KafkaVerdictSink } from '../kafka/verdict-sink.js';
import { resolveModelDir } from '../registry/resolve-model.js';
import { RegistryModelProvider } from '../registry/registry-model-provider.js';
import type { ModelProvider } from '../stages/score.js';
import { DetectSummary, type DetectReport } from '../stages/detect-summary.js';
import type { FlowEvent } from '../events/flow-event.js';
import type { Decoder } from '../sources/record.js';
import { childLogger } from '../telemetry/logger.js';

/** A snapshot of a running serve, reported every summaryIntervalMs. */
export interface ServeProgress {
  /** Seconds since the topology started. */
  seconds: number;
  events: number;
  deadLettered: number;
  /** Events scored since the previous report, per second. */
  eventsPerSecond: number;
  assignment: TopicPartition[];
}

export interface ServeResult extends DetectReport {
  model: string;
  backend: string;
  groupId: string;
  deadLetterReasons: Record<string, number>;
  topics: EnsureTopicsReport;
  stop: KafkaStopReport;
}

export interface ServeDeps {
  /** A kafkajs client; by default one is made from settings.brokers. */
  kafka?: Kafka;
  onProgress?: (progress: ServeProgress) => void;
}

export interface ServeHandle {
  readonly groupId: string;
  progress(): ServeProgress;
  /** Drains, commits, closes (see the module comment); idempotent, resolves with the result. */
  stop(): Promise<ServeResult>;
  /** Settles when the serve ends: after stop(), or with the failure that ended it. */
  readonly done: Promise<ServeResult>;
}

const log = childLogger('serve');

async function closeAll(closers: readonly { what: string; close: () => Promise<void> }[]): Promise<unknown> {
  let first: unknown;
  for (const { what, close } of closers) {
    try {
      await close();
    } catch (err) {
      log.error({ err }, `closing the ${what} failed`);
      first ??= err;
    }
  }
  return first;
}

/** How often a registry-following engine looks at models/CURRENT. */
const MODEL_POLL_MS = 5_000;

/**
 * A pinned model (`--model`), or, by default, the registry's current one, re-read between
 * micro-batches so a promotion or rollback reaches a running engine without a restart; a
 * version that fails to load is logged and the engine keeps the one it has.
 */
async function openModels(spec: string | undefined): Promise<ModelProvider & { close(): void }> {
  if (!spec) return RegistryModelProvider.open({ pollIntervalMs: MODEL_POLL_MS });
  const classifier = await loadClassifier(resolveModelDir(spec));
  classifier.warmUp();
  return { current: () => classifier, close: () => classifier.dispose() };
}

/** Starts serving; resolves once the group is joined and the topology runs. */
export async function startServe(s: ServeSettings, deps: ServeDeps = {}): Promise<ServeHandle> {
  const backend = await initBackend(s.backend);
  const models = await openModels(s.model);
  log.info({ model: models.current().version, backend, followsRegistry: !s.model }, 'model loaded');

  const kafka = deps.kafka ?? createKafka({ brokers: s.brokers, clientId: `vigil-serve-${process.pid}` });
  const topics = await ensureTopics(kafka, [
    ...s.inputTopics.map((topic) => ({ topic, partitions: s.partitions })),
    { topic: s.verdictTopic, partitions: s.partitions },
    { topic: s.dlqTopic, partitions: s.partitions },
  ]);

  const opened: { what: string; close: () => Promise<void> }[] = [];
  let verdicts: KafkaVerdictSink;
  let deadLetters: KafkaDeadLetterSink;
  let source: KafkaSource;
  let decoder: Decoder<FlowEvent>;
  try {
    verdicts = await openKafkaVerdictSink(kafka, { topic: s.verdictTopic, format: verdictFormat(s) });
    opened.push({ what: 'verdict sink', close: () => verdicts.close() });
    deadLetters = await openKafkaDeadLetterSink(kafka, { topic: s.dlqTopic, rawEncoding: s.format === 'json' ? 'utf8' : 'base64' });
    opened.push({ what: 'dead-letter sink', close: () => deadLetters.close() });
    ({ source, decoder } = await openKafkaFlowSource(kafka, {
      topics: s.inputTopics,
      groupId: s.groupId,
      format: inputFormat(s),
      fromBeginning: s.startFrom === 'earliest',
      sessionTimeoutMs: s.sessionTimeoutMs,
      heartbeatIntervalMs: s.heartbeatIntervalMs,
    }));
  } catch (err) {
    await closeAll(opened);
    models.close();
    throw err;
  }

  const summary = new DetectSummary();
  const startedAt = performance.now();
  let previous = { at: startedAt, events: 0 };
  const progress = (): ServeProgress => {
    const now = performance.now();
    const { events, deadLettered } = summary.report();
    const elapsed = (now - previous.at) / 1000;
    const snapshot = {
      seconds: (now - startedAt) / 1000,
      events,
      deadLettered,
      eventsPerSecond: elapsed > 0 ? (events - previous.events) / elapsed : 0,
      assignment: source.stats().assignment,
    };
    previous = { at: now, events };
    return snapshot;
  };
  const timer = setInterval(() => deps.onProgress?.(progress()), s.summaryIntervalMs);

  const completion = lastValueFrom(
    detectTopology({
      source,
      decoder,
      deadLetters,
      verdicts,
      models,
      batch: { maxSize: s.batchSize, maxWaitMs: s.batchWaitMs },
    }).pipe(
      tap((batch) => summary.observe(batch)),
      defaultIfEmpty(null),
    ),
  );

  let stopping: Promise<KafkaStopReport> | undefined;
  const stopSource = (): Promise<KafkaStopReport> => {
    if (!stopping) {
      stopping = source.stop();
      // Its failure is not dropped: `done` awaits this same promise and rejects with it.
      stopping.catch(() => undefined);
    }
    return stopping;
  };

  const done = (async (): Promise<ServeResult> => {
    let failure: unknown;
    try {
      // A Kafka source never ends by itself: the topology completes after stop() or fails.
      await completion;
    } catch (err) {
      log.error({ err }, 'the detect topology failed; stopping');
      failure = err;
    }
    let stopReport: KafkaStopReport | undefined;
    try {
      stopReport = await stopSource();
    } catch (err) {
      failure ??= err;
    }
    clearInterval(timer);
    const closeFailure = await closeAll(opened);
    const model = models.current().version;
    models.close();
    failure ??= closeFailure;
    if (failure !== undefined || !stopReport) throw failure;
    return {
      ...summary.report(),
      model,
      backend,
      groupId: s.groupId,
      deadLetterReasons: deadLetters.counts(),
      topics,
      stop: stopReport,
    };
  })();

  return {
    groupId: s.groupId,
    progress,
    stop: () => {
      void stopSource();
      return done;
    },
    done,
  };
}

function formatAssignment(assignment: readonly TopicPartition[]): string {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of assignment) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  if (byTopic.size === 0) return 'none';
  return [...byTopic].map(([topic, ps]) => `${topic}[${ps.sort((a, b) => a - b).join(',')}]`).join(' ');
}

export function formatServeProgress(p: ServeProgress): string {
  return `serve: ${p.seconds.toFixed(0)} s  events ${p.events}  ${p.eventsPerSecond.toFixed(0)} events/s  dead-lettered ${p.deadLettered}  partitions ${formatAssignment(p.assignment)}`;
}

export function formatServeResult(r: ServeResult): string {
  const reasons = Object.entries(r.deadLetterReasons).map(([k, v]) => `${k}: ${v}`).join(', ');
  return [
    `model ${r.model} (backend ${r.backend})  group ${r.groupId}`,
    `records ${r.records}  events scored ${r.events}  dead-lettered ${r.deadLettered}${reasons ? ` (${reasons})` : ''}`,
    `throughput ${r.eventsPerSecond.toFixed(0)} events/s over ${r.seconds.toFixed(2)} s`,
    `latency per event p50 ${r.latencyMs.p50.toFixed(2)} ms  p99 ${r.latencyMs.p99.toFixed(2)} ms  max ${r.latencyMs.max.toFixed(2)} ms`,
    `stop: ${r.stop.undrainedBatches} undrained batch(es), ${r.stop.droppedBuffered} buffered record(s) left to the group`,
    `committed ${r.stop.committed.map((c) => `${c.topic}[${c.partition}]@${c.offset}`).join(' ') || 'nothing'}`,
  ].join('\n');
}
