import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../errors/vigil-error.js';
import { KAFKA_EVENT_FORMATS, type KafkaEventFormat } from '../../kafka/kafka-event-source.js';
import type { ScanRange } from '../../store/offline-store.js';
import { SOURCE_STATE_DEFAULTS } from '../../store/source-state-store.js';
import { INTEL_FILE_DEFAULTS } from '../../vector/v2/intel-files.js';
import { formatFeaturesResult, runFeatures, type FeaturesRunOptions } from '../run-features.js';
import { onShutdownSignals } from '../shutdown-signals.js';
import { nonNegativeInt, positiveInt } from '../options.js';


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
    .option('--dlq <file>', 'append bad input to this file as JSON lines (default: only counted)')
    .option('--asn-table <file>', `IP->ASN CSV (default ${INTEL_FILE_DEFAULTS.asnTable}; missing: warning, features 83/98 missing rules)`)
    .option('--tor-dir <dir>', `dated Tor exit lists; the one closest to the first event is used (default ${INTEL_FILE_DEFAULTS.torDir})`)
    .option('--tor-list <file>', 'one Tor exit list to use (overrides --tor-dir)')
    .option('--sequence-model <dir>', 'behavioral LSTM directory (default models/sequence-lstm)')
    .option('--state <url>', 'keep per-source feature states in Redis (redis://HOST:6379): restored across runs and instances, effectively once on Kafka (one --input-topic, keyed by source IP)')
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
