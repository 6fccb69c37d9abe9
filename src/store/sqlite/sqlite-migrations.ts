import type { Migration } from '../migrations/migration.js';

/**
 * The SQLite schema, version by version, with the same tables and columns as ClickHouse's
 * (clickhouse-migrations.ts). Never edit a released migration: add one.
 *
 * STRICT tables, so a value of the wrong type is refused instead of stored as whatever it
 * was. Float64 arrays are BLOBs of little-endian doubles (sqlite-codec.ts): exact, and about
 * a third of the size of JSON text. Each table has no primary key beyond the rowid (the
 * contract is append-only, like ClickHouse's MergeTree) and the indexes its reads walk:
 * (ts, key, id) for scans of all keys, (key, ts, id) for scans of one key, and for
 * feature_vectors (event_id, ts) for point-in-time lookups.
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: '001_create_events',
    statements: [
      `CREATE TABLE IF NOT EXISTS events (
  key TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL
) STRICT`,
      'CREATE INDEX IF NOT EXISTS events_by_ts ON events (ts_ms, key, event_id)',
      'CREATE INDEX IF NOT EXISTS events_by_key ON events (key, ts_ms, event_id)',
    ],
  },
  {
    version: 2,
    name: '002_create_feature_vectors',
    statements: [
      `CREATE TABLE IF NOT EXISTS feature_vectors (
  key TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  event_id TEXT NOT NULL,
  feature_version INTEGER NOT NULL,
  vector BLOB NOT NULL,
  model_version TEXT NOT NULL,
  verdict_class TEXT NOT NULL
) STRICT`,
      'CREATE INDEX IF NOT EXISTS feature_vectors_by_ts ON feature_vectors (ts_ms, key, event_id)',
      'CREATE INDEX IF NOT EXISTS feature_vectors_by_key ON feature_vectors (key, ts_ms, event_id)',
      'CREATE INDEX IF NOT EXISTS feature_vectors_by_event ON feature_vectors (event_id, ts_ms)',
    ],
  },
  {
    version: 3,
    name: '003_create_verdicts',
    statements: [
      `CREATE TABLE IF NOT EXISTS verdicts (
  src_ip TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  event_key TEXT NOT NULL,
  class TEXT NOT NULL,
  probabilities BLOB NOT NULL,
  model_version TEXT NOT NULL,
  feature_version INTEGER NOT NULL,
  latency_ms REAL NOT NULL,
  scored_at_ms INTEGER NOT NULL
) STRICT`,
      'CREATE INDEX IF NOT EXISTS verdicts_by_ts ON verdicts (ts_ms, src_ip, event_key)',
      'CREATE INDEX IF NOT EXISTS verdicts_by_key ON verdicts (src_ip, ts_ms, event_key)',
    ],
  },
  {
    version: 4,
    name: '004_create_training_samples',
    statements: [
      `CREATE TABLE IF NOT EXISTS training_samples (
  event_key TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  features BLOB NOT NULL,
  label TEXT NOT NULL,
  ml_label TEXT NOT NULL,
  feature_version INTEGER NOT NULL,
  model_version TEXT NOT NULL,
  source TEXT NOT NULL,
  threat_score REAL
) STRICT`,
      'CREATE INDEX IF NOT EXISTS training_samples_by_ts ON training_samples (ts_ms, event_key)',
      'CREATE INDEX IF NOT EXISTS training_samples_by_key ON training_samples (event_key, ts_ms)',
    ],
  },
  {
    version: 5,
    name: '005_create_retrain_runs',
    statements: [
      `CREATE TABLE IF NOT EXISTS retrain_runs (
  run_id TEXT NOT NULL,
  ts_ms INTEGER NOT NULL,
  finished_at_ms INTEGER NOT NULL,
  triggers TEXT NOT NULL,
  base_rows INTEGER NOT NULL,
  sample_rows INTEGER NOT NULL,
  candidate_version TEXT NOT NULL,
  parent_version TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  holdout_rows INTEGER NOT NULL,
  macro_f1 REAL NOT NULL,
  parent_macro_f1 REAL,
  macro_f1_gain REAL,
  benign_fpr REAL NOT NULL,
  class_precision BLOB NOT NULL,
  class_recall BLOB NOT NULL,
  class_f1 BLOB NOT NULL
) STRICT`,
      'CREATE INDEX IF NOT EXISTS retrain_runs_by_ts ON retrain_runs (ts_ms, run_id)',
      'CREATE INDEX IF NOT EXISTS retrain_runs_by_key ON retrain_runs (run_id, ts_ms)',
    ],
  },
];
