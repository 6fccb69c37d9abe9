/**
 * Settings of the Kafka adapter, validated once at construction (zod). A bad setting throws a
 * ConfigError whose message names the setting and what to change; defaults are data
 * (the *_DEFAULTS objects below) and are resolved here, once.
 */
import { z } from 'zod';
import { ConfigError } from '../errors/vigil-error.js';

// Kafka's own rule for topic names (kafka.common.internals.Topic).
export const TopicNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, { error: 'a topic name is 1-249 letters, digits, ".", "_" or "-"' });
const topicName = TopicNameSchema;
const brokerAddress = z
  .string()
  .regex(/^[^\s:/]+:\d{1,5}$/, { error: 'write each broker as host:port, e.g. "127.0.0.1:9092"' });
const positiveMs = z.number().int().positive();

export const KAFKAJS_LOG_LEVELS = ['nothing', 'error', 'warn', 'info', 'debug'] as const;

export const KAFKA_CONNECTION_DEFAULTS = {
  clientId: 'vigil',
  /** Per TCP connect to a broker. */
  connectionTimeoutMs: 3_000,
  /** Per request; a fetch's long-poll wait is added by kafkajs. */
  requestTimeoutMs: 30_000,
  /** What kafkajs itself logs (through vigil's logger, component "kafkajs"). */
  logLevel: 'warn' as (typeof KAFKAJS_LOG_LEVELS)[number],
};

export const KafkaConnectionSchema = z.strictObject({
  brokers: z.array(brokerAddress).min(1, { error: 'list at least one broker, e.g. ["127.0.0.1:9092"]' }),
  clientId: z.string().min(1).default(KAFKA_CONNECTION_DEFAULTS.clientId),
  connectionTimeoutMs: positiveMs.default(KAFKA_CONNECTION_DEFAULTS.connectionTimeoutMs),
  requestTimeoutMs: positiveMs.default(KAFKA_CONNECTION_DEFAULTS.requestTimeoutMs),
  logLevel: z.enum(KAFKAJS_LOG_LEVELS).default(KAFKA_CONNECTION_DEFAULTS.logLevel),
});
export type KafkaConnectionOptions = z.input<typeof KafkaConnectionSchema>;
export type KafkaConnectionSettings = z.output<typeof KafkaConnectionSchema>;

/**
 * How record values are written on a topic, keyed by `type`:
 * - `json`: UTF-8 JSON, one object per record;
 * - `avro`: the Avro binary encoding of the topic's schema, nothing around it;
 * - `confluent-avro`: Confluent's schema-registry framing around it: byte 0, the schema id as
 *   a 4-byte big-endian integer, then the Avro body. There is no registry here: when reading,
 *   `schemaId` (if set) must match each record's id; when writing it is the id written.
 */
export const ValueFormatSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('json') }),
  z.strictObject({ type: z.literal('avro') }),
  z.strictObject({ type: z.literal('confluent-avro'), schemaId: z.number().int().min(0).max(2 ** 31 - 1).optional() }),
]);
export type ValueFormat = z.output<typeof ValueFormatSchema>;

export const OFFSET_COMMIT_MODES = ['group', 'transaction'] as const;

export const KAFKA_SOURCE_DEFAULTS = {
  format: { type: 'json' } as ValueFormat,
  /** Where a group without committed offsets starts: the earliest record, or only new ones. */
  fromBeginning: false,
  /**
   * Records fetched but not yet pulled by the pipeline; at this many the consumer pauses.
   * Unset: four times the batch size given to batches(). While every partition is paused
   * kafkajs sleeps up to fetchMaxWaitMs before it sees a resume, so after a pull the buffer
   * should still hold enough work (here three batches) to cover that sleep and one fetch.
   */
  maxBufferedRecords: undefined as number | undefined,
  /**
   * The broker's long-poll wait on an idle topic, and kafkajs' sleep while every partition is
   * paused: a resume takes effect within about this long.
   */
  fetchMaxWaitMs: 100,
  maxBytesPerPartition: 1024 * 1024,
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  rebalanceTimeoutMs: 60_000,
  /** How long stop() waits for batches already handed to the pipeline to become durable. */
  drainTimeoutMs: 10_000,
  /** Delay before a commit that failed retriably (a rebalance, a coordinator move) is retried. */
  commitRetryMs: 1_000,
  /**
   * Who commits offsets: `group`, the source itself (consumer commits after markDurable:
   * at-least-once), or `transaction`, the pipeline inside the transaction that holds the
   * batch's outputs (settle + confirmCommitted: exactly-once, see transactional-output.ts).
   */
  commits: 'group' as (typeof OFFSET_COMMIT_MODES)[number],
};

export const KafkaSourceSchema = z
  .strictObject({
    topics: z.array(topicName).min(1, { error: 'list at least one topic to consume' }),
    groupId: z.string().min(1, { error: 'name the consumer group, e.g. "vigil-detect"' }),
    format: ValueFormatSchema.default(KAFKA_SOURCE_DEFAULTS.format),
    fromBeginning: z.boolean().default(KAFKA_SOURCE_DEFAULTS.fromBeginning),
    maxBufferedRecords: z.number().int().positive().optional(),
    fetchMaxWaitMs: positiveMs.default(KAFKA_SOURCE_DEFAULTS.fetchMaxWaitMs),
    maxBytesPerPartition: z.number().int().positive().default(KAFKA_SOURCE_DEFAULTS.maxBytesPerPartition),
    sessionTimeoutMs: positiveMs.default(KAFKA_SOURCE_DEFAULTS.sessionTimeoutMs),
    heartbeatIntervalMs: positiveMs.default(KAFKA_SOURCE_DEFAULTS.heartbeatIntervalMs),
    rebalanceTimeoutMs: positiveMs.default(KAFKA_SOURCE_DEFAULTS.rebalanceTimeoutMs),
    drainTimeoutMs: z.number().int().min(0).default(KAFKA_SOURCE_DEFAULTS.drainTimeoutMs),
    commitRetryMs: positiveMs.default(KAFKA_SOURCE_DEFAULTS.commitRetryMs),
    commits: z.enum(OFFSET_COMMIT_MODES).default(KAFKA_SOURCE_DEFAULTS.commits),
  })
  .refine((s) => new Set(s.topics).size === s.topics.length, { path: ['topics'], error: 'list each topic once' })
  .refine((s) => s.heartbeatIntervalMs < s.sessionTimeoutMs, {
    path: ['heartbeatIntervalMs'],
    error: 'must be below sessionTimeoutMs (about a third of it is usual): lower it or raise sessionTimeoutMs',
  });
export type KafkaSourceOptions = z.input<typeof KafkaSourceSchema>;
export type KafkaSourceSettings = z.output<typeof KafkaSourceSchema>;

export const KAFKA_PRODUCER_DEFAULTS = {
  /**
   * kafkajs' idempotent producer: the broker drops duplicates of a retried send, so a retry
   * after a lost acknowledgement does not write a verdict twice (acks=-1, one request in flight).
   */
  idempotent: true,
  /** How long the broker may take to acknowledge a send (acks=-1: all in-sync replicas). */
  ackTimeoutMs: 30_000,
  /**
   * kafkajs retries of a failed send before write() rejects. Finite on purpose: an unreachable
   * broker fails the pipeline (and shutdown can finish) instead of stalling it forever; kafkajs
   * logs a warning about it once per idempotent producer.
   */
  retries: 5,
};

const producerFields = {
  topic: topicName,
  idempotent: z.boolean().default(KAFKA_PRODUCER_DEFAULTS.idempotent),
  ackTimeoutMs: positiveMs.default(KAFKA_PRODUCER_DEFAULTS.ackTimeoutMs),
  retries: z.number().int().min(0).default(KAFKA_PRODUCER_DEFAULTS.retries),
};

const idempotentNeedsRetries = (s: { idempotent: boolean; retries: number }): boolean => !s.idempotent || s.retries >= 1;
const idempotentRetriesIssue = { path: ['retries'], error: 'an idempotent producer needs retries >= 1: raise retries or set idempotent: false' };

export const KafkaProducerSchema = z.strictObject(producerFields).refine(idempotentNeedsRetries, idempotentRetriesIssue);
export type KafkaProducerOptions = z.input<typeof KafkaProducerSchema>;
export type KafkaProducerSettings = z.output<typeof KafkaProducerSchema>;

/** A producer of typed values (verdicts, labels) in a chosen wire format. */
export const KafkaValueProducerSchema = z
  .strictObject({ ...producerFields, format: ValueFormatSchema.default({ type: 'json' }) })
  .refine(idempotentNeedsRetries, idempotentRetriesIssue)
  .refine((s) => s.format.type !== 'confluent-avro' || s.format.schemaId !== undefined, {
    path: ['format', 'schemaId'],
    error: 'producing confluent-avro writes the schema id into every record: set format.schemaId',
  });
export type KafkaValueProducerOptions = z.input<typeof KafkaValueProducerSchema>;
export type KafkaValueProducerSettings = z.output<typeof KafkaValueProducerSchema>;

export const KAFKA_TRANSACTION_DEFAULTS = {
  /**
   * How long the broker lets a transaction stay open. Short, so the open transaction of an
   * instance killed mid-batch is aborted (and read_committed readers move past it) within
   * seconds; a micro-batch's transaction lasts milliseconds. A restarted instance with the
   * same transactional id aborts it at once.
   */
  transactionTimeoutMs: 10_000,
  retries: 5,
};

/**
 * The transactional producer of `vigil serve --delivery exactly-once`: verdicts and dead
 * letters of a micro-batch, with the input offsets, in one transaction. `transactionalId` must
 * be unique per running instance and stable across its restarts (a restart then fences the
 * old instance and aborts its open transaction).
 */
export const KafkaTransactionSchema = z.strictObject({
  transactionalId: z.string().min(1, { error: 'name the transactional id, e.g. "vigil-detect-0"' }),
  groupId: z.string().min(1),
  verdictTopic: topicName,
  dlqTopic: topicName,
  verdictFormat: ValueFormatSchema.default({ type: 'json' }),
  rawEncoding: z.enum(['utf8', 'base64']).default('utf8'),
  transactionTimeoutMs: positiveMs.default(KAFKA_TRANSACTION_DEFAULTS.transactionTimeoutMs),
  ackTimeoutMs: positiveMs.default(KAFKA_PRODUCER_DEFAULTS.ackTimeoutMs),
  retries: z.number().int().min(1).default(KAFKA_TRANSACTION_DEFAULTS.retries),
});
export type KafkaTransactionOptions = z.input<typeof KafkaTransactionSchema>;
export type KafkaTransactionSettings = z.output<typeof KafkaTransactionSchema>;

/**
 * The dead-letter topic. `rawEncoding` says how each dead letter's `raw` text holds the
 * record: utf8 for text input (JSON topics, files), base64 for binary (Avro) topics; it is
 * sent in a header so a reader can get the bytes back.
 */
export const KafkaDeadLetterSchema = z
  .strictObject({ ...producerFields, rawEncoding: z.enum(['utf8', 'base64']).default('utf8') })
  .refine(idempotentNeedsRetries, idempotentRetriesIssue);
export type KafkaDeadLetterOptions = z.input<typeof KafkaDeadLetterSchema>;

function formatPath(where: string, path: readonly PropertyKey[]): string {
  return where + path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
}

/**
 * Validates `input` against `schema` and resolves its defaults, or throws a ConfigError that
 * lists every problem as "<where>.<setting>: what to change".
 */
export function parseSettings<S extends z.ZodType>(schema: S, input: unknown, where: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${formatPath(where, issue.path)}: ${issue.message}`);
  throw new ConfigError(problems.join('; '));
}
