import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../errors/vigil-error.js';
import { defaultIfEmpty, lastValueFrom, tap } from 'rxjs';
import { featuresTopology } from '../../../topologies/features.js';
import { loadSequenceModel, SEQUENCE_MODEL_DIR } from '../../features/behavioral/sequence-model.js';
import { FeaturePipeline, type GlobalCheckpoint } from '../../features/pipeline.js';
import { initBackend } from '../../inference/backend.js';
import { createKafka } from '../../kafka/client.js';
import { KAFKA_EVENT_FORMATS, openKafkaEventSource, type KafkaEventFormat } from '../../kafka/kafka-event-source.js';
import { onShutdownSignals } from '../shutdown-signals.js';
import { loadFlowClassifier } from '../../ensemble/load-flow-classifier.js';
import type { FlowClassifier } from '../../inference/classifier.js';
import { resolveModelDir } from '../../registry/resolve-model.js';
import { createDlqWriter } from '../../sinks/dlq-file.js';
import { createOfflineEventDecoder, openOfflineEventSource } from '../../sources/offline-event-source.js';
import { sourceStateCounters, type SourceStateCounters } from '../../stages/source-states.js';
import type { OfflineStore, ScanRange } from '../../store/offline-store.js';
import { openMigratedOfflineStore, openStateStore } from '../../store/open-stores.js';
import { SOURCE_STATE_DEFAULTS } from '../../store/source-state-store.js';
import { openEventSource, type OpenFileSourceOptions } from '../../sources/file-source.js';
import { childLogger } from '../../telemetry/logger.js';
import { createFeatureLineSink } from '../../vector/v2/feature-line-sink.js';
import { INTEL_FILE_DEFAULTS, loadIntelFiles } from '../../vector/v2/intel-files.js';
import { createV2FeatureGroups } from '../../vector/v2/v2-feature-groups.js';
import { nonNegativeInt, positiveInt } from '../options.js';

/**
 * `vigil features`: feature-version-2 vectors of every event of the inputs, one JSON line
 * each (`{"key", "ts", "featureVersion": 2, "vector": [100 numbers]}`), through
 * topologies/features.ts with in-memory state (the embedded default).
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
  /** Feature lines: a file, or '-' for stdout. */
  out: string;
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

/** Global group states are checkpointed per instance under this entity, beside the sources'. */
const globalEntity = (instance: string): string => `@global:${instance}`;

export async function runFeatures(o: FeaturesRunOptions): Promise<FeaturesRunResult> {
  const started = performance.now();
  const sourceOptions: OpenFileSourceOptions = o.syslogYear === undefined ? {} : { syslogYear: o.syslogYear };
  const replayStore = o.replay ? await openMigratedOfflineStore(o.replay.offline) : null;
  const offline = o.offline ? await openMigratedOfflineStore(o.offline) : null;
  const state = o.state ? openStateStore(o.state, { ...(o.keyPrefix !== undefined && { keyPrefix: o.keyPrefix }) }) : null;
  const counters = sourceStateCounters();
  const deadLetters = createDlqWriter(o.dlq);
  const vectors = createFeatureLineSink(o.out);
  let records = 0;
  let events = 0;
  let sources = 0;
  let intelLoaded: FeaturesRunResult['intel'] = { asnTable: null, torList: null };
  try {
    // A live topic, like stdin, cannot be read twice: the Tor list closest to now is taken.
    const eventTimeMs = o.kafka ? Date.now() : replayStore ? await firstReplayTime(replayStore, o.replay?.range) : await firstEventTime(o.inputs, sourceOptions);
    const intelOptions = { eventTimeMs, ...(o.asnTable && { asnTable: o.asnTable }), ...(o.torDir && { torDir: o.torDir }), ...(o.torList && { torList: o.torList }) };
    const intel = await loadIntelFiles(intelOptions, (message) => log.warn(message));
    intelLoaded = intel.loaded;
    const sequenceModel = await loadSequenceModel(o.sequenceModel ?? SEQUENCE_MODEL_DIR);
    const pipeline = new FeaturePipeline({ groups: createV2FeatureGroups({ sequenceModel, ...intel }) });
    const instance = globalEntity(o.instance ?? 'default');
    let classifier: FlowClassifier | null = null;
    if (o.model !== undefined) {
      await initBackend('auto');
      classifier = await loadFlowClassifier(resolveModelDir(o.model));
      classifier.warmUp();
      log.info({ model: classifier.version }, 'scoring flows');
    }
    const scoring = classifier;
    if (state) {
      const [checkpoint] = await state.store.load([instance]);
      if (checkpoint?.layout === pipeline.layout) pipeline.restoreGlobal(checkpoint.states[0] as GlobalCheckpoint);
    }
    const topologyOptions = {
      deadLetters,
      pipeline,
      vectors,
      batch: { maxSize: o.batchSize, maxWaitMs: o.batchWaitMs },
      counters,
      ...(o.idleMs !== undefined && { idleMs: o.idleMs }),
      ...(state && { stateStore: state.store }),
      ...(offline && { offline }),
      ...(scoring && { models: { current: () => scoring } }),
    };
    const opened = o.kafka
      ? [await openKafkaEvents(o.kafka, o.syslogYear)]
      : replayStore
      ? [{ source: openOfflineEventSource(replayStore, { name: `replay:${o.replay!.offline}`, ...(o.replay!.range && { range: o.replay!.range }) }), decoder: createOfflineEventDecoder(), format: 'offline-events', close: async () => {} }]
      : o.inputs.map((input) => ({ input }));
    for (const entry of opened) {
      const { source, decoder, format, close } = 'input' in entry ? await openEventFile(entry.input, sourceOptions) : entry;
      log.info({ source: source.name, format }, 'reading');
      try {
        await lastValueFrom(
          featuresTopology({ ...topologyOptions, source, decoder }).pipe(
            tap((batch) => {
              records += batch.size;
              events += batch.accepted.length;
            }),
            defaultIfEmpty(null),
          ),
        );
      } finally {
        await close();
      }
    }
    if (state) await state.store.save([{ entity: instance, snapshot: { layout: pipeline.layout, states: [pipeline.globalCheckpoint()], lastTs: 0 } }]);
    sources = pipeline.sourceCount;
    scoring?.dispose();
  } finally {
    await vectors.close();
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
  return { source, decoder, format: `kafka ${k.events}`, close: async () => void (await stop()) };
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
    `source states: restored ${r.state.restored}  fresh ${r.state.fresh}  layout mismatch ${r.state.layoutMismatch}  saved ${r.state.saved}  evicted idle ${r.state.evicted}`,
    `ASN table: ${r.intel.asnTable ?? 'none (feature 83 = -1)'}`,
    `Tor list: ${r.intel.torList ?? 'none (feature 84 = 0)'}`,
  ].join('\n');
}

/** Flags `features` and `backfill` share: enrichment files, state, batching, output. */
interface CommonFlags {
  out: string;
  dlq?: string;
  asnTable?: string;
  torDir?: string;
  torList?: string;
  sequenceModel?: string;
  state?: string;
  keyPrefix?: string;
  instance?: string;
  idleMs?: number;
  model?: string;
  batchSize: number;
  batchWaitMs: number;
  json?: boolean;
}

function withCommonOptions(command: Command): Command {
  return command
    .requiredOption('--out <file>', 'feature lines as JSON lines; - for stdout')
    .option('--dlq <file>', 'write bad input here as JSON lines (default: only counted)')
    .option('--asn-table <file>', `IP->ASN CSV (default ${INTEL_FILE_DEFAULTS.asnTable}; missing: warning, features 83/98 missing rules)`)
    .option('--tor-dir <dir>', `dated Tor exit lists; the one closest to the first event is used (default ${INTEL_FILE_DEFAULTS.torDir})`)
    .option('--tor-list <file>', 'one Tor exit list to use (overrides --tor-dir)')
    .option('--sequence-model <dir>', 'behavioral LSTM directory (default models/sequence-lstm)')
    .option('--state <url>', 'keep per-source feature states in Redis (redis://HOST:6379): restored across runs and instances')
    .option('--key-prefix <prefix>', `state key prefix (default ${SOURCE_STATE_DEFAULTS.keyPrefix})`)
    .option('--instance <name>', 'names this process\'s checkpoint of the global (graph) states (default "default")')
    .option('--idle-ms <ms>', `sources idle this long (event time) leave memory (default ${SOURCE_STATE_DEFAULTS.ttlMs}, the state TTL)`, positiveInt)
    .option('--model <dir|version>', 'also score flows with this model: with --offline-store, the scored vectors and verdicts are recorded (what the training collector joins labels with); confident verdicts teach feature 83')
    .option('--batch-size <n>', 'micro-batch size', positiveInt, 256)
    .option('--batch-wait-ms <ms>', 'longest a micro-batch waits to fill', nonNegativeInt, 20)
    .option('--json', 'print the run summary as one JSON object');
}

async function runAndPrint(f: CommonFlags, source: Pick<FeaturesRunOptions, 'inputs' | 'replay' | 'offline' | 'syslogYear' | 'kafka'>): Promise<void> {
  for (const file of [f.out, f.dlq]) if (file && file !== '-') mkdirSync(dirname(file), { recursive: true });
  const result = await runFeatures({
    ...source,
    out: f.out,
    dlq: f.dlq ?? null,
    ...(f.asnTable !== undefined && { asnTable: f.asnTable }),
    ...(f.torDir !== undefined && { torDir: f.torDir }),
    ...(f.torList !== undefined && { torList: f.torList }),
    ...(f.sequenceModel !== undefined && { sequenceModel: f.sequenceModel }),
    ...(f.state !== undefined && { state: f.state }),
    ...(f.keyPrefix !== undefined && { keyPrefix: f.keyPrefix }),
    ...(f.instance !== undefined && { instance: f.instance }),
    ...(f.idleMs !== undefined && { idleMs: f.idleMs }),
    ...(f.model !== undefined && { model: f.model }),
    batchSize: f.batchSize,
    batchWaitMs: f.batchWaitMs,
  });
  // When feature lines go to stdout the summary must not mix with them.
  const write = f.out === '-' ? (s: string) => process.stderr.write(s) : (s: string) => process.stdout.write(s);
  write((f.json ? JSON.stringify(result) : formatFeaturesResult(result)) + '\n');
}

interface FeaturesFlags extends CommonFlags {
  data?: string[];
  brokers?: string;
  inputTopic?: string[];
  group: string;
  events: string;
  offlineStore?: string;
  syslogYear?: number;
}

export function registerFeatures(program: Command): void {
  withCommonOptions(
    program
      .command('features')
      .description('compute feature-version-2 vectors (100 dims) of flows, Cowrie and sshd events, from files or Kafka topics; one JSON line per event')
      .option('--data <file...>', 'input files, processed in the order given (give them in time order); - for stdin')
      .option('--input-topic <topic...>', 'read events from these Kafka topics instead, until SIGTERM (env VIGIL_KAFKA_BROKERS for the brokers)')
      .option('--brokers <list>', 'with --input-topic: comma-separated host:port list (default VIGIL_KAFKA_BROKERS or 127.0.0.1:9092)')
      .option('--group <id>', 'with --input-topic: the consumer group', 'vigil-features')
      .option('--events <format>', `with --input-topic: what the records hold: ${KAFKA_EVENT_FORMATS.join(' | ')}`, 'flows')
      .option('--offline-store <store>', 'also record the events for backfill: http://HOST:8123[/DB] (ClickHouse) or a SQLite file path')
      .option('--syslog-year <year>', 'year of the first line of syslog inputs (default: the current UTC year)', positiveInt),
  ).action(async (f: FeaturesFlags) => {
    if ((f.data === undefined) === (f.inputTopic === undefined)) throw new ConfigError('features: give either --data FILE... or --input-topic TOPIC...');
    if (!(KAFKA_EVENT_FORMATS as readonly string[]).includes(f.events)) throw new ConfigError(`features: --events must be one of ${KAFKA_EVENT_FORMATS.join(', ')}, got ${f.events}`);
    const common = { ...(f.offlineStore !== undefined && { offline: f.offlineStore }), ...(f.syslogYear !== undefined && { syslogYear: f.syslogYear }) };
    if (f.inputTopic === undefined) return runAndPrint(f, { inputs: f.data!, ...common });
    const stop = new AbortController();
    const signals = onShutdownSignals('features', 'draining', () => stop.abort());
    try {
      const brokers = (f.brokers ?? process.env.VIGIL_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim()).filter((b) => b.length > 0);
      await runAndPrint(f, { inputs: [], kafka: { brokers, topics: f.inputTopic, groupId: f.group, events: f.events as KafkaEventFormat, stop: stop.signal }, ...common });
    } finally {
      signals.dispose();
    }
  });
}

interface BackfillFlags extends CommonFlags {
  offlineStore: string;
  key?: string;
  from?: number;
  to?: number;
}

/**
 * `vigil backfill`: the features topology over the events an offline store recorded, replayed
 * in time order (ts, then source IP, then event id) from fresh states: the vectors the stream
 * computed, again, by the same code (the consistency test compares the two).
 */
export function registerBackfill(program: Command): void {
  withCommonOptions(
    program
      .command('backfill')
      .description('recompute feature-version-2 vectors from the events recorded in an offline store (same topology, replayed in time order)')
      .requiredOption('--offline-store <store>', 'http://HOST:8123[/DB] (ClickHouse) or a SQLite file path')
      .option('--key <ip>', 'only this source IP')
      .option('--from <ms>', 'first event time, epoch ms (inclusive)', nonNegativeInt)
      .option('--to <ms>', 'end event time, epoch ms (exclusive)', nonNegativeInt),
  ).action(async (f: BackfillFlags) => {
    const range: ScanRange = { ...(f.key !== undefined && { key: f.key }), ...(f.from !== undefined && { fromMs: f.from }), ...(f.to !== undefined && { toMs: f.to }) };
    await runAndPrint(f, { inputs: [], replay: { offline: f.offlineStore, range } });
  });
}
