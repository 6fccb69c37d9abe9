import { defaultIfEmpty, lastValueFrom, tap } from 'rxjs';
import { featuresTopology } from '../../topologies/features.js';
import { ConfigError } from '../errors/vigil-error.js';
import { loadFlowClassifier } from '../ensemble/load-flow-classifier.js';
import { initBackend } from '../inference/backend.js';
import type { FlowClassifier } from '../inference/classifier.js';
import { createKafka } from '../kafka/client.js';
import { openKafkaEventSource, type KafkaEventFormat } from '../kafka/kafka-event-source.js';
import { resolveModelDir } from '../registry/resolve-model.js';
import { createDlqWriter } from '../sinks/dlq-file.js';
import { createVerdictSink } from '../sinks/verdict-jsonl.js';
import type { EventBatch } from '../stages/event-batch.js';
import { openEventSource, type OpenFileSourceOptions } from '../sources/file-source.js';
import { createOfflineEventDecoder, openOfflineEventSource } from '../sources/offline-event-source.js';
import { sourceStateCounters, type SourceStateCounters } from '../stages/source-states.js';
import type { OfflineStore, ScanRange } from '../store/offline-store.js';
import { restoreGlobalCheckpoint, saveGlobalCheckpoint } from '../store/global-checkpoint.js';
import { openMigratedOfflineStore, openStateStore } from '../store/open-stores.js';
import { childLogger } from '../telemetry/logger.js';
import { createFeatureLineSink } from '../vector/v2/feature-line-sink.js';
import { openV2Pipeline } from '../vector/v2/open-v2-pipeline.js';

/**
 * `vigil features` and `vigil backfill`: feature-version-2 vectors of every event of the
 * inputs (files, Kafka topics, or the offline store's recorded events), one JSON line each
 * (`{"key", "ts", "eventId", "featureVersion": 2, "vector": [100 numbers]}`), through
 * topologies/features.ts, with the stores and model the options name.
 *
 * Several inputs are processed one after another, in the order given, through ONE pipeline
 * (their states carry over), not merged by event time: a merge would have to read every file
 * before writing the first line. Give them in time order; an event older than the window's
 * watermark (10 min, 1 min tiles) is late for the window features, as in a live stream.
 */
export interface FeaturesRunOptions {
  /** Files (or '-'), in order; ignored when `replay` or `kafka` is given. */
  inputs: string[];
  /** Read events from Kafka topics until `stop` aborts (a consumer group; offsets committed as batches become durable). */
  kafka?: { brokers: string[]; topics: string[]; groupId: string; events: KafkaEventFormat; fromBeginning?: boolean; stop: AbortSignal };
  /** Backfill: replay the `events` of this offline store (open-stores.ts spelling) instead. */
  replay?: { offline: string; range?: ScanRange };
  /** Record the events read into this offline store, for a later backfill. */
  offline?: string;
  /** Keep per-source states in this store (redis://...) across batches, restarts and instances. */
  state?: string;
  keyPrefix?: string;
  /** Names this process's checkpoint of the global (graph) states in the state store. */
  instance?: string;
  /** Sources idle longer than this leave memory (event time, ms). */
  idleMs?: number;
  /** Score flows with this model (directory or registry version); its confident verdicts teach feature 83. */
  model?: string;
  /** TF.js backend for the model (default auto). */
  backend?: 'auto' | 'node' | 'wasm' | 'cpu';
  /** Feature lines: a file, '-' for stdout, or null for none. */
  out: string | null;
  /** With `model`, its verdicts (JSON lines): a file, or '-' for stdout. */
  verdicts?: string;
  /** Sees every batch once it is durable (e.g. a detect summary). */
  onBatch?: (batch: EventBatch) => void;
  dlq: string | null;
  asnTable?: string;
  torDir?: string;
  torList?: string;
  sequenceModel?: string;
  syslogYear?: number;
  batchSize: number;
  batchWaitMs: number;
}

export interface FeaturesRunResult {
  records: number;
  events: number;
  deadLettered: number;
  deadLetterReasons: Record<string, number>;
  sources: number;
  state: SourceStateCounters;
  intel: { asnTable: string | null; torList: string | null };
  seconds: number;
}

const log = childLogger('features');

/**
 * The time of the first event of the first file input, to choose the Tor list by; stdin
 * cannot be read twice, so for stdin (a live feed) the list closest to now is taken.
 */
async function firstEventTime(inputs: readonly string[], options: OpenFileSourceOptions): Promise<number | undefined> {
  const first = inputs[0];
  if (first === undefined) return undefined;
  if (first === '-') return Date.now();
  const { source, decoder } = await openEventSource(first, options);
  try {
    for await (const records of source.batches({ maxSize: 256, maxWaitMs: 1000 })) {
      for (const r of records) {
        const decoded = decoder.decode(r);
        if (decoded.ok) return decoded.value.ts;
      }
    }
    return undefined;
  } finally {
    await source.close();
  }
}

/** The first event time of a backfill's replay, to choose the Tor list by. */
async function firstReplayTime(offline: OfflineStore, range: ScanRange | undefined): Promise<number | undefined> {
  for await (const rows of offline.scan('events', range ?? {}, { batchSize: 1 })) return rows[0]?.ts;
  return undefined;
}

export async function runFeatures(o: FeaturesRunOptions): Promise<FeaturesRunResult> {
  const started = performance.now();
  if (o.kafka && o.state && o.kafka.topics.length > 1) {
    // A source would then arrive on a partition of each topic, which different members may own.
    throw new ConfigError('features: per-source states (--state) need one input topic, keyed by source IP; give one --input-topic');
  }
  const sourceOptions: OpenFileSourceOptions = o.syslogYear === undefined ? {} : { syslogYear: o.syslogYear };
  const replayStore = o.replay ? await openMigratedOfflineStore(o.replay.offline) : null;
  const offline = o.offline ? await openMigratedOfflineStore(o.offline) : null;
  const state = o.state ? openStateStore(o.state, { ...(o.keyPrefix !== undefined && { keyPrefix: o.keyPrefix }) }) : null;
  const counters = sourceStateCounters();
  const deadLetters = createDlqWriter(o.dlq);
  const vectors = o.out === null ? undefined : createFeatureLineSink(o.out);
  const verdicts = o.verdicts === undefined ? undefined : createVerdictSink(o.verdicts);
  let records = 0;
  let events = 0;
  let sources = 0;
  let intelLoaded: FeaturesRunResult['intel'] = { asnTable: null, torList: null };
  try {
    // A live topic, like stdin, cannot be read twice: the Tor list closest to now is taken.
    const eventTimeMs = o.kafka ? Date.now() : replayStore ? await firstReplayTime(replayStore, o.replay?.range) : await firstEventTime(o.inputs, sourceOptions);
    const intelOptions = { eventTimeMs, ...(o.asnTable && { asnTable: o.asnTable }), ...(o.torDir && { torDir: o.torDir }), ...(o.torList && { torList: o.torList }) };
    const v2 = await openV2Pipeline({ ...intelOptions, ...(o.sequenceModel && { sequenceModel: o.sequenceModel }) }, (message) => log.warn(message));
    intelLoaded = v2.intel;
    const pipeline = v2.pipeline;
    const instance = o.instance ?? 'default';
    let classifier: FlowClassifier | null = null;
    if (o.model !== undefined) {
      await initBackend(o.backend ?? 'auto');
      classifier = await loadFlowClassifier(resolveModelDir(o.model));
      classifier.warmUp();
      log.info({ model: classifier.version }, 'scoring flows');
    }
    const scoring = classifier;
    if (state) await restoreGlobalCheckpoint(state.store, pipeline, instance);
    const topologyOptions = {
      deadLetters,
      pipeline,
      ...(vectors && { vectors }),
      ...(verdicts && { verdicts }),
      batch: { maxSize: o.batchSize, maxWaitMs: o.batchWaitMs },
      counters,
      ...(o.idleMs !== undefined && { idleMs: o.idleMs }),
      ...(state && { stateStore: state.store }),
      ...(offline && { offline }),
      ...(scoring && { models: { current: () => scoring } }),
    };
    const streams = o.kafka
      ? [await openKafkaEvents(o.kafka, o.syslogYear)]
      : replayStore
      ? [{ source: openOfflineEventSource(replayStore, { name: `replay:${o.replay!.offline}`, ...(o.replay!.range && { range: o.replay!.range }) }), decoder: createOfflineEventDecoder(), format: 'offline-events', close: async () => {} }]
      : o.inputs.map((input) => ({ input }));
    for (const entry of streams) {
      const opened = 'input' in entry ? await openEventFile(entry.input, sourceOptions) : entry;
      const { source, decoder, format, close } = opened;
      const group = 'group' in opened ? opened.group : undefined;
      log.info({ source: source.name, format }, 'reading');
      try {
        await lastValueFrom(
          featuresTopology({ ...topologyOptions, source, decoder, ...(group && { group }) }).pipe(
            tap((batch) => {
              records += batch.size;
              events += batch.accepted.length;
              o.onBatch?.(batch);
            }),
            defaultIfEmpty(null),
          ),
        );
      } finally {
        await close();
      }
    }
    if (state) await saveGlobalCheckpoint(state.store, pipeline, instance);
    sources = pipeline.sourceCount;
    scoring?.dispose();
  } finally {
    await vectors?.close();
    await verdicts?.close();
    await deadLetters.close();
    await state?.close();
    await offline?.close();
    await replayStore?.close();
  }
  return {
    records,
    events,
    deadLettered: deadLetters.total,
    deadLetterReasons: deadLetters.counts(),
    sources,
    state: counters,
    intel: intelLoaded,
    seconds: (performance.now() - started) / 1000,
  };
}

async function openKafkaEvents(k: NonNullable<FeaturesRunOptions['kafka']>, syslogYear: number | undefined) {
  const kafka = createKafka({ brokers: k.brokers, clientId: `vigil-features-${process.pid}` });
  const { source, decoder } = await openKafkaEventSource(kafka, {
    topics: k.topics,
    groupId: k.groupId,
    events: k.events,
    fromBeginning: k.fromBeginning ?? true,
    ...(syslogYear !== undefined && { syslogYear }),
  });
  // A topic never ends by itself: the run ends when the caller aborts, after the batches in
  // flight are durable and committed.
  let stopping: Promise<unknown> | undefined;
  const stop = (): Promise<unknown> => (stopping ??= source.stop());
  if (k.stop.aborted) void stop();
  else k.stop.addEventListener('abort', () => void stop(), { once: true });
  // Group members share the sources: after a rebalance, held sources continue from the state store.
  return { source, decoder, format: `kafka ${k.events}`, group: source, close: async () => void (await stop()) };
}

async function openEventFile(input: string, options: OpenFileSourceOptions) {
  const { source, decoder, format } = await openEventSource(input, options);
  return { source, decoder, format, close: () => source.close() };
}

export function formatFeaturesResult(r: FeaturesRunResult): string {
  const reasons = Object.entries(r.deadLetterReasons).map(([k, v]) => `${k}: ${v}`).join(', ');
  return [
    `records ${r.records}  vectors ${r.events} (feature version 2, 100 dims)  dead-lettered ${r.deadLettered}${reasons ? ` (${reasons})` : ''}`,
    `sources held ${r.sources}  in ${r.seconds.toFixed(2)} s`,
    `source states: restored ${r.state.restored}  rewound ${r.state.rewound} (lost ${r.state.lost})  split over partitions ${r.state.split}  fresh ${r.state.fresh}  layout mismatch ${r.state.layoutMismatch}  saved ${r.state.saved}  evicted idle ${r.state.evicted}`,
    `ASN table: ${r.intel.asnTable ?? 'none (feature 83 = -1)'}`,
    `Tor list: ${r.intel.torList ?? 'none (feature 84 = 0)'}`,
  ].join('\n');
}
