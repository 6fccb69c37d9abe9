/**
 * serve: the detect topology between Kafka topics, as a long-running member of a consumer
 * group. Wiring only: the stages are the topologies', the adapters are src/kafka's. A model of
 * feature version 2 (or --feature-pipeline) runs the features topology instead, with the same
 * sinks and delivery (serve-pipeline.ts); it can then serve and swap models of either version.
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
 *
 * Delivery (settings.delivery):
 *   - exactly-once (default): each micro-batch's verdicts, dead letters and input offsets
 *     commit in one Kafka transaction (src/kafka/transactional-output.ts); verdict readers
 *     use isolation read_committed.
 *   - at-least-once: verdicts and dead letters are written (acks=-1), then the offsets are
 *     committed by the consumer; a crash between the two repeats verdicts.
 * Per-IP state (baseline_features, in Redis with --redis, else in memory) is folded before the
 * batch commits, one update per record with its (partition, offset): a redelivered record is
 * skipped, so state is effectively-once in both modes. On the features topology the per-source
 * feature states (Redis with --redis) are saved before the batch commits with the offsets they
 * folded, and a redelivered batch continues from the snapshot before it (effectively once:
 * stages/source-states.ts); the global graph state is each process's own, checkpointed at
 * close under --transactional-id (cli/serve-pipeline.ts).
 */
import { hostname } from 'node:os';
import { defaultIfEmpty, lastValueFrom, tap, type Observable } from 'rxjs';
import type { Kafka } from 'kafkajs';
import { Redis } from 'ioredis';
import { BASELINE_FAMILY } from '../aggregate/baseline-features.js';
import { detectTopology } from '../../topologies/detect.js';
import { featuresTopology } from '../../topologies/features.js';
import { mayCheckpointGlobalStates, openServePipeline, servesThroughPipeline, type ServePipeline } from './serve-pipeline.js';
import type { EventBatch } from '../stages/event-batch.js';
import type { SourceStateCounters } from '../stages/source-states.js';
import { inputFormat, verdictFormat, type ServeSettings } from '../config/serve-settings.js';
import { initBackend } from '../inference/backend.js';
import { loadFlowClassifier, type LoadFlowClassifierOptions } from '../ensemble/load-flow-classifier.js';
import { VECTORIZED_MODELS } from '../stages/vectorize.js';
import { ensureTopics, type EnsureTopicsReport } from '../kafka/admin.js';
import { createKafka } from '../kafka/client.js';
import { openKafkaDeadLetterSink, type KafkaDeadLetterSink } from '../kafka/dead-letter-sink.js';
import { openKafkaFlowSource } from '../kafka/kafka-flow-source.js';
import type { KafkaSource, KafkaStopReport } from '../kafka/kafka-source.js';
import type { TopicPartition } from '../kafka/offset-ledger.js';
import { openKafkaVerdictSink } from '../kafka/verdict-sink.js';
import { openTransactionalOutput, type TransactionalOutput } from '../kafka/transactional-output.js';
import { VigilError } from '../errors/vigil-error.js';
import { commitTransaction } from '../stages/commit-transaction.js';
import type { FlowBatch } from '../stages/flow-batch.js';
import type { DeadLetterSink } from '../stages/route-bad-input.js';
import type { VerdictSink } from '../sinks/verdict-jsonl.js';
import { MemoryOnlineStore } from '../store/memory/memory-online-store.js';
import type { OfflineStore } from '../store/offline-store.js';
import type { OnlineStore } from '../store/online-store.js';
import { openMigratedOfflineStore } from '../store/open-stores.js';
import { RedisOnlineStore } from '../store/redis/redis-online-store.js';
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
  /** State updates applied and skipped so far. */
  stateApplied: number;
  stateSkipped: number;
}

/** What the online store did with the state updates of a serve run. */
export interface ServeStateReport {
  store: 'redis' | 'memory';
  keyPrefix: string;
  /** Updates folded in, and updates skipped as already applied (redelivered records). */
  applied: number;
  skipped: number;
  /** On the features topology: what the per-source feature states did (restored, saved, evicted...). */
  sources?: SourceStateCounters;
  /** On the features topology: where the global (graph) states came from (serve-pipeline.ts). */
  globalStates?: ServePipeline['globalStates'];
}

export interface ServeResult extends DetectReport {
  model: string;
  backend: string;
  groupId: string;
  delivery: ServeSettings['delivery'];
  /** Exactly-once: the transactional id, transactions committed and stale batches dropped. */
  transactions?: { transactionalId: string; commits: number; discards: number };
  state: ServeStateReport;
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
async function openModels(spec: string | undefined, modelsDir: string | undefined, accept: LoadFlowClassifierOptions): Promise<ModelProvider & { close(): void }> {
  if (!spec) return RegistryModelProvider.open({ pollIntervalMs: MODEL_POLL_MS, accept, ...(modelsDir !== undefined && { modelsDir }) });
  const classifier = await loadFlowClassifier(resolveModelDir(spec, modelsDir === undefined ? {} : { modelsDir }), accept);
  classifier.warmUp();
  return { current: () => classifier, close: () => classifier.dispose() };
}

/** A service serve needs at startup does not answer. */
export class ServeStartError extends VigilError {}

/** Redis calls fail (retriably) after this long instead of waiting for a lost server. */
const REDIS_COMMAND_TIMEOUT_MS = 5_000;

/** The online store for per-IP state: Redis when a URL is set (checked with a PING), else in memory. */
async function openStateStore(s: ServeSettings): Promise<{ store: OnlineStore; kind: 'redis' | 'memory'; close(): Promise<void> }> {
  const families = [BASELINE_FAMILY];
  if (!s.redis) return { store: new MemoryOnlineStore({ keyPrefix: s.keyPrefix, families }), kind: 'memory', close: async () => undefined };
  const client = new Redis(s.redis, { maxRetriesPerRequest: 2, commandTimeout: REDIS_COMMAND_TIMEOUT_MS, lazyConnect: true });
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    throw new ServeStartError(`the Redis at ${s.redis} does not answer (is it up?)`, { retriable: true, cause: err });
  }
  return {
    store: new RedisOnlineStore({ client, keyPrefix: s.keyPrefix, families }),
    kind: 'redis',
    close: async () => void (await client.quit()),
  };
}

/** Starts serving; resolves once the group is joined and the topology runs. */
export async function startServe(s: ServeSettings, deps: ServeDeps = {}): Promise<ServeHandle> {
  const backend = await initBackend(s.backend);
  const throughPipeline = await servesThroughPipeline(s);
  // The detect topology gives flow-v1 vectors only; the features topology projects its v2 ones to any model's version.
  const models = await openModels(s.model, s.modelsDir, throughPipeline ? {} : VECTORIZED_MODELS);
  log.info({ model: models.current().version, backend, followsRegistry: !s.model, topology: throughPipeline ? 'features' : 'detect' }, 'model loaded');

  const kafka = deps.kafka ?? createKafka({ brokers: s.brokers, clientId: `vigil-serve-${process.pid}` });
  const topics = await ensureTopics(kafka, [
    ...s.inputTopics.map((topic) => ({ topic, partitions: s.partitions })),
    { topic: s.verdictTopic, partitions: s.partitions },
    { topic: s.dlqTopic, partitions: s.partitions },
  ]);

  const opened: { what: string; close: () => Promise<void> }[] = [];
  let verdicts: VerdictSink;
  let deadLetters: DeadLetterSink & { counts(): Record<string, number> };
  let source: KafkaSource;
  let decoder: Decoder<FlowEvent>;
  let acknowledge: ReturnType<typeof commitTransaction> | undefined;
  let transactions: (() => NonNullable<ServeResult['transactions']>) | undefined;
  let output: TransactionalOutput | undefined;
  let state: Awaited<ReturnType<typeof openStateStore>> | undefined;
  let servePipeline: ServePipeline | undefined;
  let offline: OfflineStore | undefined;
  const exactlyOnce = s.delivery === 'exactly-once';
  /**
   * Set once the topology ended without failure, every batch it took settled, and none left
   * records the group will deliver again in the global feature states: only then are they
   * checkpointed.
   */
  let cleanStop = false;
  try {
    if (throughPipeline) {
      const p = await openServePipeline(s);
      servePipeline = p;
      opened.push({ what: 'feature state store', close: () => p.close({ checkpoint: cleanStop }) });
    } else {
      const st = await openStateStore(s);
      state = st;
      opened.push({ what: 'state store', close: () => st.close() });
    }
    if (s.offlineStore !== undefined) {
      const store = await openMigratedOfflineStore(s.offlineStore);
      offline = store;
      opened.push({ what: 'offline store', close: () => store.close() });
    }
    if (exactlyOnce) {
      const transactionalId = s.transactionalId ?? `${s.groupId}-${hostname()}-${process.pid}`;
      output = await openTransactionalOutput(kafka, {
        transactionalId,
        groupId: s.groupId,
        verdictTopic: s.verdictTopic,
        dlqTopic: s.dlqTopic,
        verdictFormat: verdictFormat(s),
        rawEncoding: s.format === 'json' ? 'utf8' : 'base64',
        transactionTimeoutMs: s.transactionTimeoutMs,
      });
      const opened_ = output;
      opened.push({ what: 'transactional output', close: () => opened_.close() });
      ({ verdicts, deadLetters } = output);
      transactions = () => ({ transactionalId, ...opened_.stats() });
      log.info({ transactionalId }, 'exactly-once delivery: one transaction per micro-batch');
    } else {
      const verdictSink = await openKafkaVerdictSink(kafka, { topic: s.verdictTopic, format: verdictFormat(s) });
      opened.push({ what: 'verdict sink', close: () => verdictSink.close() });
      const dlqSink = await openKafkaDeadLetterSink(kafka, { topic: s.dlqTopic, rawEncoding: s.format === 'json' ? 'utf8' : 'base64' });
      opened.push({ what: 'dead-letter sink', close: () => dlqSink.close() });
      verdicts = verdictSink;
      deadLetters = dlqSink;
    }
    ({ source, decoder } = await openKafkaFlowSource(kafka, {
      topics: s.inputTopics,
      groupId: s.groupId,
      format: inputFormat(s),
      fromBeginning: s.startFrom === 'earliest',
      sessionTimeoutMs: s.sessionTimeoutMs,
      heartbeatIntervalMs: s.heartbeatIntervalMs,
      commits: exactlyOnce ? 'transaction' : 'group',
    }));
    if (output) acknowledge = commitTransaction(source, output);
  } catch (err) {
    await closeAll(opened);
    models.close();
    throw err;
  }
  const summary = new DetectSummary();
  const stateCounts = { applied: 0, skipped: 0 };
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
      stateApplied: stateCounts.applied,
      stateSkipped: stateCounts.skipped,
    };
    previous = { at: now, events };
    return snapshot;
  };
  const timer = setInterval(() => deps.onProgress?.(progress()), s.summaryIntervalMs);

  const common = { source, decoder, deadLetters, verdicts, models, batch: { maxSize: s.batchSize, maxWaitMs: s.batchWaitMs }, ...(offline && { offline }), ...(acknowledge && { acknowledge }) };
  const batches$: Observable<FlowBatch | EventBatch> = servePipeline
    ? featuresTopology({
        ...common,
        pipeline: servePipeline.pipeline,
        counters: servePipeline.counters,
        ...(servePipeline.stateStore && { stateStore: servePipeline.stateStore, group: source }),
      })
    : detectTopology({ ...common, ...(state && { state: state.store }) });
  const completion = lastValueFrom(
    batches$.pipe(
      tap((batch) => {
        summary.observe(batch);
        if ('state' in batch) {
          stateCounts.applied += batch.state?.applied ?? 0;
          stateCounts.skipped += batch.state?.skipped ?? 0;
        }
      }),
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
    cleanStop = mayCheckpointGlobalStates({
      failed: failure !== undefined,
      undrainedBatches: stopReport?.undrainedBatches,
      delivery: s.delivery,
      discards: transactions?.().discards ?? 0,
      ...(servePipeline && { counters: servePipeline.counters }),
    });
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
      delivery: s.delivery,
      ...(transactions ? { transactions: transactions() } : {}),
      state: {
        store: state?.kind ?? (s.redis ? 'redis' : 'memory'),
        keyPrefix: s.keyPrefix,
        ...stateCounts,
        ...(servePipeline && { sources: { ...servePipeline.counters }, globalStates: servePipeline.globalStates }),
      },
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
    `model ${r.model} (backend ${r.backend})  group ${r.groupId}  delivery ${r.delivery}` +
      (r.transactions ? ` (transactional id ${r.transactions.transactionalId}: ${r.transactions.commits} committed, ${r.transactions.discards} stale batch(es) dropped)` : ''),
    r.state.sources
      ? `feature states (${r.state.store}, prefix ${r.state.keyPrefix}): ${r.state.sources.restored} source(s) restored, ${r.state.sources.fresh} new, ${r.state.sources.saved} snapshot(s) saved, ${r.state.sources.rewound} rewound, ${r.state.sources.undoneBatches} stale batch(es) undone; graph states at start: ${r.state.globalStates ?? 'not kept'}`
      : `state (${r.state.store}, prefix ${r.state.keyPrefix}): ${r.state.applied} update(s) applied, ${r.state.skipped} skipped as already applied`,
    `records ${r.records}  events scored ${r.events}  dead-lettered ${r.deadLettered}${reasons ? ` (${reasons})` : ''}`,
    `throughput ${r.eventsPerSecond.toFixed(0)} events/s over ${r.seconds.toFixed(2)} s`,
    `latency per event p50 ${r.latencyMs.p50.toFixed(2)} ms  p99 ${r.latencyMs.p99.toFixed(2)} ms  max ${r.latencyMs.max.toFixed(2)} ms`,
    `stop: ${r.stop.undrainedBatches} undrained batch(es), ${r.stop.droppedBuffered} buffered record(s) left to the group`,
    `committed ${r.stop.committed.map((c) => `${c.topic}[${c.partition}]@${c.offset}`).join(' ') || 'nothing'}`,
  ].join('\n');
}
