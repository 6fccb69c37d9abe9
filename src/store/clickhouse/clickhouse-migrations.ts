import type { Migration } from '../migrations/migration.js';

/**
 * The ClickHouse schema, version by version. Never edit a released migration: add one.
 *
 * The SQL must run on Debian's ClickHouse 18.16 and on current releases, so: no DateTime64
 * (epoch ms live in UInt64 `ts_ms`), no Map, TTL, CODEC or LowCardinality. `{db}` stands for
 * the configured database, backquoted; the checksum is taken before it is filled in, so one
 * migration has one checksum whatever the database is called.
 *
 * Every table is a MergeTree sorted by (key, ts_ms): replay of one key and the point-in-time
 * lookup of a key's vector read one contiguous range. Partitions are months of ts_ms, so a
 * time-range scan skips whole months by the partition's min/max of ts_ms.
 */
const MONTH_OF_TS = 'toYYYYMM(toDateTime(intDiv(ts_ms, 1000)))';

export const CLICKHOUSE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: '001_create_events',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.events (
  key String,
  ts_ms UInt64,
  event_id String,
  kind String,
  payload String
) ENGINE = MergeTree PARTITION BY ${MONTH_OF_TS} ORDER BY (key, ts_ms)`,
    ],
  },
  {
    version: 2,
    name: '002_create_feature_vectors',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.feature_vectors (
  key String,
  ts_ms UInt64,
  event_id String,
  feature_version UInt16,
  vector Array(Float64),
  model_version String,
  verdict_class String
) ENGINE = MergeTree PARTITION BY ${MONTH_OF_TS} ORDER BY (key, ts_ms)`,
    ],
  },
  {
    version: 3,
    name: '003_create_verdicts',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.verdicts (
  src_ip String,
  ts_ms UInt64,
  event_key String,
  class String,
  probabilities Array(Float64),
  model_version String,
  feature_version UInt16,
  latency_ms Float64,
  scored_at_ms UInt64
) ENGINE = MergeTree PARTITION BY ${MONTH_OF_TS} ORDER BY (src_ip, ts_ms)`,
    ],
  },
  {
    version: 4,
    name: '004_create_training_samples',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.training_samples (
  event_key String,
  ts_ms UInt64,
  features Array(Float64),
  label String,
  ml_label String,
  feature_version UInt16,
  model_version String,
  source String,
  threat_score Nullable(Float64)
) ENGINE = MergeTree PARTITION BY ${MONTH_OF_TS} ORDER BY (event_key, ts_ms)`,
    ],
  },
  {
    version: 5,
    name: '005_create_retrain_runs',
    statements: [
      `CREATE TABLE IF NOT EXISTS {db}.retrain_runs (
  run_id String,
  ts_ms UInt64,
  finished_at_ms UInt64,
  triggers String,
  base_rows UInt64,
  sample_rows UInt64,
  candidate_version String,
  parent_version String,
  outcome String,
  reason String,
  holdout_rows UInt64,
  macro_f1 Float64,
  parent_macro_f1 Nullable(Float64),
  macro_f1_gain Nullable(Float64),
  benign_fpr Float64,
  class_precision Array(Float64),
  class_recall Array(Float64),
  class_f1 Array(Float64)
) ENGINE = MergeTree PARTITION BY ${MONTH_OF_TS} ORDER BY (run_id, ts_ms)`,
    ],
  },
];

/** The statement with `{db}` replaced by the quoted database name. */
export function renderStatement(statement: string, quotedDatabase: string): string {
  return statement.replaceAll('{db}', quotedDatabase);
}
