/**
 * Settings of `vigil serve` (the detect topology between Kafka topics), parsed once at
 * startup: flags over environment over SERVE_DEFAULTS, validated with zod. Unknown keys are
 * rejected, and every problem names the flag and the variable to change (see SERVE_SETTING_SOURCES).
 */
import { z } from 'zod';
import { ConfigError } from '../errors/vigil-error.js';
import { TopicNameSchema } from '../kafka/settings.js';
import type { ValueFormat } from '../kafka/settings.js';
import { BACKEND_PREFERENCES, type BackendPreference } from '../inference/backend.js';
import { KAFKA_SOURCE_DEFAULTS, KAFKA_TRANSACTION_DEFAULTS } from '../kafka/settings.js';
import { ONLINE_STORE_DEFAULTS } from '../store/online-store.js';
import type { SettingSource } from './setting-sources.js';

export const SERVE_FORMATS = ['json', 'avro', 'confluent-avro'] as const;
export type ServeFormat = (typeof SERVE_FORMATS)[number];

export const START_POSITIONS = ['earliest', 'latest'] as const;

/**
 * exactly-once: verdicts, dead letters and input offsets of a micro-batch in one Kafka
 * transaction (readers use isolation read_committed); at-least-once: plain acks=-1 writes, then
 * a consumer commit (a crash re-delivers, so verdicts may repeat). Per-IP state is
 * effectively-once in both (the store skips positions it applied).
 */
export const DELIVERY_MODES = ['exactly-once', 'at-least-once'] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];

export const SERVE_DEFAULTS = {
  brokers: ['127.0.0.1:9092'],
  groupId: 'vigil-detect',
  inputTopics: ['flows'],
  verdictTopic: 'verdicts',
  dlqTopic: 'dead-letters',
  /** Wire format of input flows and of verdicts (dead letters are always JSON envelopes). */
  format: 'json' as ServeFormat,
  /**
   * Partitions each topic is ensured to have. 1 never grows an existing topic (growing moves
   * keys to other partitions); ask for more to let more `vigil serve` processes share the work.
   */
  partitions: 1,
  /**
   * Where a group with no committed offsets starts. Earliest, unlike Kafka's own default:
   * a detector that skips what arrived before its first start misses attacks silently.
   */
  startFrom: 'earliest' as (typeof START_POSITIONS)[number],
  batchSize: 256,
  batchWaitMs: 20,
  /** How often a progress line goes to stderr. */
  summaryIntervalMs: 10_000,
  /** A member that stops heartbeating (kill -9) loses its partitions after this long. */
  sessionTimeoutMs: KAFKA_SOURCE_DEFAULTS.sessionTimeoutMs,
  heartbeatIntervalMs: KAFKA_SOURCE_DEFAULTS.heartbeatIntervalMs,
  backend: 'auto' as BackendPreference,
  delivery: 'exactly-once' as DeliveryMode,
  /** See KAFKA_TRANSACTION_DEFAULTS.transactionTimeoutMs. */
  transactionTimeoutMs: KAFKA_TRANSACTION_DEFAULTS.transactionTimeoutMs,
  /** Prefix of the online store's keys (`<prefix>baseline_features:<src_ip>`). */
  keyPrefix: ONLINE_STORE_DEFAULTS.keyPrefix,
};

/** Where each setting can be given, so an error message says what to change. */
export const SERVE_SETTING_SOURCES: Record<string, SettingSource> = {
  brokers: { flag: '--brokers', env: 'VIGIL_KAFKA_BROKERS', list: true },
  groupId: { flag: '--group', env: 'VIGIL_KAFKA_GROUP' },
  inputTopics: { flag: '--input-topic', env: 'VIGIL_INPUT_TOPICS', list: true },
  verdictTopic: { flag: '--verdict-topic', env: 'VIGIL_VERDICT_TOPIC' },
  dlqTopic: { flag: '--dlq-topic', env: 'VIGIL_DLQ_TOPIC' },
  format: { flag: '--format', env: 'VIGIL_KAFKA_FORMAT' },
  inputSchemaId: { flag: '--input-schema-id' },
  verdictSchemaId: { flag: '--verdict-schema-id' },
  model: { flag: '--model', env: 'VIGIL_MODEL' },
  partitions: { flag: '--partitions' },
  startFrom: { flag: '--start-from' },
  batchSize: { flag: '--batch-size' },
  batchWaitMs: { flag: '--batch-wait-ms' },
  summaryIntervalMs: { flag: '--summary-interval-ms' },
  sessionTimeoutMs: { flag: '--session-timeout-ms' },
  heartbeatIntervalMs: { flag: '--heartbeat-interval-ms' },
  backend: { flag: '--backend' },
  delivery: { flag: '--delivery', env: 'VIGIL_DELIVERY' },
  transactionalId: { flag: '--transactional-id', env: 'VIGIL_TRANSACTIONAL_ID' },
  transactionTimeoutMs: { flag: '--transaction-timeout-ms' },
  redis: { flag: '--redis', env: 'VIGIL_REDIS_URL' },
  keyPrefix: { flag: '--key-prefix', env: 'VIGIL_KEY_PREFIX' },
  modelsDir: { flag: '--models-dir', env: 'VIGIL_MODELS_DIR' },
  offlineStore: { flag: '--offline-store', env: 'VIGIL_OFFLINE_STORE' },
  featurePipeline: { flag: '--feature-pipeline' },
};

const brokerAddress = z.string().regex(/^[^\s:/,]+:\d{1,5}$/, { error: 'write each broker as host:port, e.g. 127.0.0.1:9092' });
const schemaId = z.number().int().min(0).max(2 ** 31 - 1);
const positiveInt = z.number().int().positive();

export const ServeSettingsSchema = z
  .strictObject({
    brokers: z.array(brokerAddress).min(1, { error: 'list at least one broker, e.g. 127.0.0.1:9092' }).default(SERVE_DEFAULTS.brokers),
    groupId: z.string().min(1, { error: 'name the consumer group, e.g. vigil-detect' }).default(SERVE_DEFAULTS.groupId),
    inputTopics: z.array(TopicNameSchema).min(1, { error: 'list at least one input topic' }).default(SERVE_DEFAULTS.inputTopics),
    verdictTopic: TopicNameSchema.default(SERVE_DEFAULTS.verdictTopic),
    dlqTopic: TopicNameSchema.default(SERVE_DEFAULTS.dlqTopic),
    format: z.enum(SERVE_FORMATS, { error: `use one of ${SERVE_FORMATS.join(', ')}` }).default(SERVE_DEFAULTS.format),
    inputSchemaId: schemaId.optional(),
    verdictSchemaId: schemaId.optional(),
    model: z.string().min(1).optional(),
    partitions: positiveInt.default(SERVE_DEFAULTS.partitions),
    startFrom: z.enum(START_POSITIONS, { error: `use ${START_POSITIONS.join(' or ')}` }).default(SERVE_DEFAULTS.startFrom),
    batchSize: positiveInt.default(SERVE_DEFAULTS.batchSize),
    batchWaitMs: z.number().int().min(0).default(SERVE_DEFAULTS.batchWaitMs),
    summaryIntervalMs: positiveInt.default(SERVE_DEFAULTS.summaryIntervalMs),
    sessionTimeoutMs: positiveInt.default(SERVE_DEFAULTS.sessionTimeoutMs),
    heartbeatIntervalMs: positiveInt.default(SERVE_DEFAULTS.heartbeatIntervalMs),
    backend: z.enum(BACKEND_PREFERENCES as [BackendPreference, ...BackendPreference[]], { error: `use one of ${BACKEND_PREFERENCES.join(', ')}` }).default(SERVE_DEFAULTS.backend),
    delivery: z.enum(DELIVERY_MODES, { error: `use ${DELIVERY_MODES.join(' or ')}` }).default(SERVE_DEFAULTS.delivery),
    /** Unset: one made from the group, host and pid (unique, but a restart cannot fence its predecessor). */
    transactionalId: z.string().min(1).optional(),
    transactionTimeoutMs: positiveInt.default(SERVE_DEFAULTS.transactionTimeoutMs),
    redis: z.string().regex(/^rediss?:\/\//, { error: 'write the Redis address as a URL, e.g. redis://127.0.0.1:6379' }).optional(),
    keyPrefix: z.string().default(SERVE_DEFAULTS.keyPrefix),
    /** The model registry followed when no --model is pinned (default models/). */
    modelsDir: z.string().min(1).optional(),
    /** Where each scored vector and its verdict are recorded (ClickHouse URL or SQLite path); none: not recorded. */
    offlineStore: z.string().min(1).optional(),
    /** Run the features topology (any model version) even when the first model takes flow-v1 vectors. */
    featurePipeline: z.boolean().default(false),
  })
  .refine((s) => new Set(s.inputTopics).size === s.inputTopics.length, { path: ['inputTopics'], error: 'list each input topic once' })
  // Writing verdicts or dead letters back to an input topic would feed the detector its own output.
  .refine((s) => !s.inputTopics.includes(s.verdictTopic), { path: ['verdictTopic'], error: 'must differ from every input topic' })
  .refine((s) => !s.inputTopics.includes(s.dlqTopic), { path: ['dlqTopic'], error: 'must differ from every input topic' })
  .refine((s) => s.dlqTopic !== s.verdictTopic, { path: ['dlqTopic'], error: 'must differ from the verdict topic' })
  .refine((s) => s.format === 'confluent-avro' || (s.inputSchemaId === undefined && s.verdictSchemaId === undefined), {
    path: ['format'],
    error: 'schema ids only apply to confluent-avro: set the format to confluent-avro or drop the schema ids',
  })
  .refine((s) => s.format !== 'confluent-avro' || s.verdictSchemaId !== undefined, {
    path: ['verdictSchemaId'],
    error: 'confluent-avro verdicts carry a schema id in every record: set it',
  })
  .refine((s) => s.delivery === 'exactly-once' || s.transactionalId === undefined, {
    path: ['transactionalId'],
    error: 'only exactly-once delivery uses a transactional id: drop it or set --delivery exactly-once',
  })
  // The store keeps the last applied offset per partition number, not per topic.
  .refine((s) => s.redis === undefined || s.inputTopics.length === 1, {
    path: ['redis'],
    error: 'effectively-once state in Redis needs exactly one input topic (offsets are kept per partition): run one serve per input topic',
  })
  .refine((s) => s.heartbeatIntervalMs < s.sessionTimeoutMs, {
    path: ['heartbeatIntervalMs'],
    error: 'must be below the session timeout (about a third of it is usual)',
  });

export type ServeSettingsInput = z.input<typeof ServeSettingsSchema>;
export type ServeSettings = z.output<typeof ServeSettingsSchema>;

function describeSetting(path: readonly PropertyKey[]): string {
  const key = String(path[0] ?? '');
  const where = SERVE_SETTING_SOURCES[key];
  const at = path.slice(1).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  if (!where) return key === '' ? 'serve settings' : `${key}${at}`;
  return `${key}${at} (${where.flag}${where.env ? ` or ${where.env}` : ''})`;
}

/**
 * Validates `input` (already merged from flags and environment) and resolves the defaults, or
 * throws one ConfigError listing every problem as "setting (flag or VARIABLE): what to change".
 */
export function parseServeSettings(input: unknown): ServeSettings {
  const result = ServeSettingsSchema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys'
      ? `unknown setting(s) ${issue.keys.join(', ')}: known ones are ${Object.keys(SERVE_SETTING_SOURCES).join(', ')}`
      : `${describeSetting(issue.path)}: ${issue.message}`,
  );
  throw new ConfigError(`vigil serve settings: ${problems.join('; ')}`);
}

/** The wire format of input flows, for the Kafka source. */
export function inputFormat(s: ServeSettings): ValueFormat {
  if (s.format === 'confluent-avro') return s.inputSchemaId === undefined ? { type: s.format } : { type: s.format, schemaId: s.inputSchemaId };
  return { type: s.format };
}

/** The wire format of verdicts, for the verdict sink. */
export function verdictFormat(s: ServeSettings): ValueFormat {
  if (s.format === 'confluent-avro') return { type: s.format, schemaId: s.verdictSchemaId };
  return { type: s.format };
}
