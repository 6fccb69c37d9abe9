import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { defaultIfEmpty, lastValueFrom, tap } from 'rxjs';
import { featuresTopology } from '../../../topologies/features.js';
import { loadSequenceModel, SEQUENCE_MODEL_DIR } from '../../features/behavioral/sequence-model.js';
import { FeaturePipeline } from '../../features/pipeline.js';
import { createDlqWriter } from '../../sinks/dlq-file.js';
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
  inputs: string[];
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

export async function runFeatures(o: FeaturesRunOptions): Promise<FeaturesRunResult> {
  const started = performance.now();
  const sourceOptions: OpenFileSourceOptions = o.syslogYear === undefined ? {} : { syslogYear: o.syslogYear };
  const intelOptions = { eventTimeMs: await firstEventTime(o.inputs, sourceOptions), ...(o.asnTable && { asnTable: o.asnTable }), ...(o.torDir && { torDir: o.torDir }), ...(o.torList && { torList: o.torList }) };
  const intel = await loadIntelFiles(intelOptions, (message) => log.warn(message));
  const sequenceModel = await loadSequenceModel(o.sequenceModel ?? SEQUENCE_MODEL_DIR);
  const pipeline = new FeaturePipeline({ groups: createV2FeatureGroups({ sequenceModel, ...intel }) });

  const deadLetters = createDlqWriter(o.dlq);
  const vectors = createFeatureLineSink(o.out);
  let records = 0;
  let events = 0;
  try {
    for (const input of o.inputs) {
      const { source, decoder, format } = await openEventSource(input, sourceOptions);
      log.info({ input, format }, 'reading');
      await lastValueFrom(
        featuresTopology({ source, decoder, deadLetters, pipeline, vectors, batch: { maxSize: o.batchSize, maxWaitMs: o.batchWaitMs } }).pipe(
          tap((batch) => {
            records += batch.size;
            events += batch.accepted.length;
          }),
          defaultIfEmpty(null),
        ),
      );
    }
  } finally {
    await vectors.close();
    await deadLetters.close();
  }
  return {
    records,
    events,
    deadLettered: deadLetters.total,
    deadLetterReasons: deadLetters.counts(),
    sources: pipeline.sourceCount,
    intel: intel.loaded,
    seconds: (performance.now() - started) / 1000,
  };
}

export function formatFeaturesResult(r: FeaturesRunResult): string {
  const reasons = Object.entries(r.deadLetterReasons).map(([k, v]) => `${k}: ${v}`).join(', ');
  return [
    `records ${r.records}  vectors ${r.events} (feature version 2, 100 dims)  dead-lettered ${r.deadLettered}${reasons ? ` (${reasons})` : ''}`,
    `sources ${r.sources}  in ${r.seconds.toFixed(2)} s`,
    `ASN table: ${r.intel.asnTable ?? 'none (feature 83 = -1)'}`,
    `Tor list: ${r.intel.torList ?? 'none (feature 84 = 0)'}`,
  ].join('\n');
}

interface FeaturesFlags {
  data: string[];
  out: string;
  dlq?: string;
  asnTable?: string;
  torDir?: string;
  torList?: string;
  sequenceModel?: string;
  syslogYear?: number;
  batchSize: number;
  batchWaitMs: number;
  json?: boolean;
}

export function registerFeatures(program: Command): void {
  program
    .command('features')
    .description('compute feature-version-2 vectors (100 dims) of flows, Cowrie and sshd events; one JSON line per event')
    .requiredOption('--data <file...>', 'input files, processed in the order given (give them in time order); - for stdin')
    .requiredOption('--out <file>', 'feature lines as JSON lines; - for stdout')
    .option('--dlq <file>', 'write bad input here as JSON lines (default: only counted)')
    .option('--asn-table <file>', `IP->ASN CSV (default ${INTEL_FILE_DEFAULTS.asnTable}; missing: warning, features 83/98 missing rules)`)
    .option('--tor-dir <dir>', `dated Tor exit lists; the one closest to the first event is used (default ${INTEL_FILE_DEFAULTS.torDir})`)
    .option('--tor-list <file>', 'one Tor exit list to use (overrides --tor-dir)')
    .option('--sequence-model <dir>', 'behavioral LSTM directory (default models/sequence-lstm)')
    .option('--syslog-year <year>', 'year of the first line of syslog inputs (default: the current UTC year)', positiveInt)
    .option('--batch-size <n>', 'micro-batch size', positiveInt, 256)
    .option('--batch-wait-ms <ms>', 'longest a micro-batch waits to fill', nonNegativeInt, 20)
    .option('--json', 'print the run summary as one JSON object')
    .action(async (f: FeaturesFlags) => {
      for (const file of [f.out, f.dlq]) if (file && file !== '-') mkdirSync(dirname(file), { recursive: true });
      const result = await runFeatures({
        inputs: f.data,
        out: f.out,
        dlq: f.dlq ?? null,
        ...(f.asnTable !== undefined && { asnTable: f.asnTable }),
        ...(f.torDir !== undefined && { torDir: f.torDir }),
        ...(f.torList !== undefined && { torList: f.torList }),
        ...(f.sequenceModel !== undefined && { sequenceModel: f.sequenceModel }),
        ...(f.syslogYear !== undefined && { syslogYear: f.syslogYear }),
        batchSize: f.batchSize,
        batchWaitMs: f.batchWaitMs,
      });
      // When feature lines go to stdout the summary must not mix with them.
      const write = f.out === '-' ? (s: string) => process.stderr.write(s) : (s: string) => process.stdout.write(s);
      write((f.json ? JSON.stringify(result) : formatFeaturesResult(result)) + '\n');
    });
}
