import type { Command } from 'commander';
import { mergeServeSettings, serveSettingsFromEnv } from '../../config/serve-env.js';
import { onShutdownSignals } from '../shutdown-signals.js';
import { parseServeSettings, SERVE_DEFAULTS, type ServeSettingsInput } from '../../config/serve-settings.js';
import { nonNegativeInt, positiveInt } from '../options.js';
import { formatServeProgress, formatServeResult, startServe, type ServeHandle } from '../run-serve.js';

interface ServeFlags {
  brokers?: string;
  group?: string;
  inputTopic?: string[];
  verdictTopic?: string;
  dlqTopic?: string;
  format?: string;
  inputSchemaId?: number;
  verdictSchemaId?: number;
  model?: string;
  partitions?: number;
  startFrom?: string;
  batchSize?: number;
  batchWaitMs?: number;
  summaryIntervalMs?: number;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  backend?: string;
  delivery?: string;
  transactionalId?: string;
  transactionTimeoutMs?: number;
  redis?: string;
  keyPrefix?: string;
  modelsDir?: string;
  offlineStore?: string;
  featurePipeline?: boolean;
  json?: boolean;
}


/** Flags as settings input; commander leaves flags not given undefined, so the environment shows through. */
function settingsFromFlags(f: ServeFlags): Partial<ServeSettingsInput> {
  return {
    brokers: f.brokers?.split(',').map((b) => b.trim()),
    groupId: f.group,
    inputTopics: f.inputTopic,
    verdictTopic: f.verdictTopic,
    dlqTopic: f.dlqTopic,
    format: f.format as ServeSettingsInput['format'],
    inputSchemaId: f.inputSchemaId,
    verdictSchemaId: f.verdictSchemaId,
    model: f.model,
    partitions: f.partitions,
    startFrom: f.startFrom as ServeSettingsInput['startFrom'],
    batchSize: f.batchSize,
    batchWaitMs: f.batchWaitMs,
    summaryIntervalMs: f.summaryIntervalMs,
    sessionTimeoutMs: f.sessionTimeoutMs,
    heartbeatIntervalMs: f.heartbeatIntervalMs,
    backend: f.backend as ServeSettingsInput['backend'],
    delivery: f.delivery as ServeSettingsInput['delivery'],
    transactionalId: f.transactionalId,
    transactionTimeoutMs: f.transactionTimeoutMs,
    redis: f.redis,
    keyPrefix: f.keyPrefix,
    modelsDir: f.modelsDir,
    offlineStore: f.offlineStore,
    featurePipeline: f.featurePipeline,
  };
}

async function serve(f: ServeFlags): Promise<void> {
  const settings = parseServeSettings(mergeServeSettings(serveSettingsFromEnv(process.env), settingsFromFlags(f)));
  const json = !!f.json;
  let handle: ServeHandle | undefined;
  // During startup there is nothing to drain yet: the stop follows as soon as it started.
  const signals = onShutdownSignals('serve', 'draining', () => void handle?.stop());
  try {
    // Progress and the final summary go to stderr and stdout respectively; JSON lines when
    // asked, so supervisors and tests parse them without scraping text.
    handle = await startServe(settings, {
      onProgress: (p) => process.stderr.write((json ? JSON.stringify({ progress: p }) : formatServeProgress(p)) + '\n'),
    });
    process.stderr.write((json ? JSON.stringify({ started: { groupId: handle.groupId, pid: process.pid } }) : `serve: started, group ${handle.groupId}`) + '\n');
    if (signals.received() > 0) void handle.stop();
    const result = await handle.done;
    process.stdout.write((json ? JSON.stringify(result) : formatServeResult(result)) + '\n');
  } finally {
    signals.dispose();
  }
}

export function registerServe(program: Command): void {
  const d = SERVE_DEFAULTS;
  program
    .command('serve')
    .description('run the detect topology on Kafka: flows from input topics, verdicts and dead letters to topics, until SIGTERM/SIGINT')
    .option('--brokers <list>', `comma-separated host:port list (env VIGIL_KAFKA_BROKERS; default ${d.brokers.join(',')})`)
    .option('--group <id>', `consumer group (env VIGIL_KAFKA_GROUP; default ${d.groupId})`)
    .option('--input-topic <topic...>', `topics of flow events (env VIGIL_INPUT_TOPICS, comma-separated; default ${d.inputTopics.join(',')})`)
    .option('--verdict-topic <topic>', `verdicts, keyed by source IP (env VIGIL_VERDICT_TOPIC; default ${d.verdictTopic})`)
    .option('--dlq-topic <topic>', `bad input (env VIGIL_DLQ_TOPIC; default ${d.dlqTopic})`)
    .option('--format <format>', `json | avro | confluent-avro, for flows and verdicts (env VIGIL_KAFKA_FORMAT; default ${d.format})`)
    .option('--input-schema-id <id>', 'confluent-avro: the schema id input records must carry (any when unset)', nonNegativeInt)
    .option('--verdict-schema-id <id>', 'confluent-avro: the schema id written into verdicts (required then)', nonNegativeInt)
    .option('--model <dir|version>', 'model directory or version under models/ (env VIGIL_MODEL; default: models/CURRENT)')
    .option('--partitions <n>', `partitions each topic is ensured to have (default ${d.partitions}: existing topics are never grown)`, positiveInt)
    .option('--start-from <pos>', `earliest | latest: where a group without committed offsets starts (default ${d.startFrom})`)
    .option('--batch-size <n>', `micro-batch size (default ${d.batchSize})`, positiveInt)
    .option('--batch-wait-ms <ms>', `longest a micro-batch waits to fill (default ${d.batchWaitMs})`, nonNegativeInt)
    .option('--summary-interval-ms <ms>', `how often a progress line goes to stderr (default ${d.summaryIntervalMs})`, positiveInt)
    .option('--session-timeout-ms <ms>', `a member silent this long loses its partitions (default ${d.sessionTimeoutMs})`, positiveInt)
    .option('--heartbeat-interval-ms <ms>', `group heartbeat (default ${d.heartbeatIntervalMs})`, positiveInt)
    .option('--backend <name>', `TF.js backend: auto | node | wasm | cpu (default ${d.backend})`)
    .option('--delivery <mode>', `exactly-once (one Kafka transaction per micro-batch; read verdicts with isolation read_committed) | at-least-once (env VIGIL_DELIVERY; default ${d.delivery})`)
    .option('--transactional-id <id>', 'exactly-once: unique per instance and stable across its restarts, so a restart fences the old one (env VIGIL_TRANSACTIONAL_ID; default <group>-<host>-<pid>)')
    .option('--transaction-timeout-ms <ms>', `exactly-once: the broker aborts a killed instance's open transaction after this long (default ${d.transactionTimeoutMs})`, positiveInt)
    .option('--redis <url>', 'per-IP state in this Redis (env VIGIL_REDIS_URL; default: in memory, lost on exit)')
    .option('--key-prefix <prefix>', `prefix of the state keys (env VIGIL_KEY_PREFIX; default ${d.keyPrefix})`)
    .option('--models-dir <dir>', 'the model registry followed when --model is not given (env VIGIL_MODELS_DIR; default models/)')
    .option('--offline-store <store>', 'record each scored vector and its verdict here, for the training collector: http://HOST:8123[/DB] (ClickHouse) or a SQLite file path (env VIGIL_OFFLINE_STORE; default: not recorded)')
    .option('--feature-pipeline', 'score through the feature pipeline (per-source state, feature-version-2 vectors), so models of either feature version can be served and swapped in; the default when the model takes version 2')
    .option('--json', 'progress (stderr) and the final summary (stdout) as JSON lines')
    .action(serve);
}
