import { describe, expect, it } from 'vitest';
import { mergeServeSettings, serveSettingsFromEnv } from '../../src/config/serve-env.js';
import { inputFormat, parseServeSettings, SERVE_DEFAULTS, verdictFormat } from '../../src/config/serve-settings.js';
import { ConfigError } from '../../src/errors/vigil-error.js';

function problemOf(input: unknown): string {
  try {
    parseServeSettings(input);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('serve settings', () => {
  it('resolves the defaults once, brokers 127.0.0.1:9092 among them', () => {
    const s = parseServeSettings({});
    expect(s).toMatchObject({ ...SERVE_DEFAULTS, brokers: ['127.0.0.1:9092'] });
    expect(inputFormat(s)).toEqual({ type: 'json' });
  });

  it('takes settings from the environment, flags over it, lists split on commas', () => {
    const env = serveSettingsFromEnv({
      VIGIL_KAFKA_BROKERS: 'k1:9092, k2:9092',
      VIGIL_INPUT_TOPICS: 'flows-a,flows-b',
      VIGIL_KAFKA_GROUP: 'from-env',
      VIGIL_VERDICT_TOPIC: '  ',
      VIGIL_KAFKA_TEST_LOG: 'debug',
    });
    expect(env).toEqual({ brokers: ['k1:9092', 'k2:9092'], inputTopics: ['flows-a', 'flows-b'], groupId: 'from-env' });
    const s = parseServeSettings(mergeServeSettings(env, { groupId: 'from-flag', verdictTopic: undefined, partitions: 4 }));
    expect(s).toMatchObject({ brokers: ['k1:9092', 'k2:9092'], inputTopics: ['flows-a', 'flows-b'], groupId: 'from-flag', verdictTopic: 'verdicts', partitions: 4 });
  });

  it('names the flag and the variable to change for each bad setting, all at once', () => {
    const message = problemOf({ brokers: ['kafka'], partitions: 0, format: 'xml' });
    expect(message).toContain('brokers[0] (--brokers or VIGIL_KAFKA_BROKERS): write each broker as host:port');
    expect(message).toContain('partitions (--partitions)');
    expect(message).toContain('format (--format or VIGIL_KAFKA_FORMAT): use one of json, avro, confluent-avro');
  });

  it('rejects unknown keys, listing the known ones', () => {
    expect(problemOf({ topic: 'flows' })).toMatch(/unknown setting\(s\) topic: known ones are brokers, groupId, inputTopics/);
  });

  it('refuses to write verdicts or dead letters to an input topic, or both to one topic', () => {
    expect(problemOf({ inputTopics: ['flows'], verdictTopic: 'flows' })).toContain('verdictTopic (--verdict-topic or VIGIL_VERDICT_TOPIC): must differ from every input topic');
    expect(problemOf({ inputTopics: ['flows'], dlqTopic: 'flows' })).toContain('dlqTopic (--dlq-topic or VIGIL_DLQ_TOPIC): must differ from every input topic');
    expect(problemOf({ verdictTopic: 'out', dlqTopic: 'out' })).toContain('must differ from the verdict topic');
    expect(problemOf({ inputTopics: ['a', 'a'] })).toContain('list each input topic once');
  });

  it('needs a verdict schema id for confluent-avro and accepts schema ids only with it', () => {
    expect(problemOf({ format: 'confluent-avro' })).toContain('verdictSchemaId (--verdict-schema-id)');
    expect(problemOf({ format: 'avro', verdictSchemaId: 3 })).toContain('schema ids only apply to confluent-avro');
    const s = parseServeSettings({ format: 'confluent-avro', verdictSchemaId: 7, inputSchemaId: 5 });
    expect(inputFormat(s)).toEqual({ type: 'confluent-avro', schemaId: 5 });
    expect(verdictFormat(s)).toEqual({ type: 'confluent-avro', schemaId: 7 });
    expect(inputFormat(parseServeSettings({ format: 'confluent-avro', verdictSchemaId: 7 }))).toEqual({ type: 'confluent-avro' });
  });

  it('keeps the heartbeat below the session timeout', () => {
    expect(problemOf({ sessionTimeoutMs: 3000, heartbeatIntervalMs: 3000 })).toContain('heartbeatIntervalMs (--heartbeat-interval-ms): must be below the session timeout');
  });

  it('delivers exactly once by default, with state in memory; Redis, prefix and transactional id come from flags or the environment', () => {
    expect(parseServeSettings({})).toMatchObject({ delivery: 'exactly-once', keyPrefix: 'vigil:', transactionTimeoutMs: 10_000 });
    expect(parseServeSettings({}).redis).toBeUndefined();
    const env = serveSettingsFromEnv({ VIGIL_REDIS_URL: 'redis://redis:6379', VIGIL_KEY_PREFIX: 'prod:', VIGIL_TRANSACTIONAL_ID: 'engine-0', VIGIL_DELIVERY: 'exactly-once' });
    expect(parseServeSettings(env)).toMatchObject({ redis: 'redis://redis:6379', keyPrefix: 'prod:', transactionalId: 'engine-0', delivery: 'exactly-once' });
    expect(parseServeSettings({ delivery: 'at-least-once' }).delivery).toBe('at-least-once');
  });

  it('refuses a transactional id without transactions, a Redis that is not a URL, and Redis state over several input topics', () => {
    expect(problemOf({ delivery: 'at-least-once', transactionalId: 'x' })).toContain('transactionalId (--transactional-id or VIGIL_TRANSACTIONAL_ID): only exactly-once delivery uses a transactional id');
    expect(problemOf({ delivery: 'twice' })).toContain('delivery (--delivery or VIGIL_DELIVERY): use exactly-once or at-least-once');
    expect(problemOf({ redis: '127.0.0.1:6379' })).toContain('redis (--redis or VIGIL_REDIS_URL): write the Redis address as a URL');
    expect(problemOf({ redis: 'redis://127.0.0.1:6379', inputTopics: ['a', 'b'] })).toContain('effectively-once state in Redis needs exactly one input topic');
  });
});
