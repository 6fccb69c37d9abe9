import Database from 'better-sqlite3';
import { ConfigError } from '../../errors/vigil-error.js';
import { checkMigrationList, type Migration } from '../migrations/migration.js';
import { runMigrations, type MigrationTarget } from '../migrations/run-migrations.js';
import { checkLookups, pickVectorsAsOf } from '../offline-as-of.js';
import type { OfflineOperation } from '../offline-errors.js';
import {
  SCAN_DEFAULTS,
  type AppliedMigration,
  type FeatureVectorRow,
  type MigrationReport,
  type OfflineRows,
  type OfflineStore,
  type OfflineTable,
  type ScanOptions,
  type ScanRange,
  type VectorLookup,
} from '../offline-store.js';
import {
  FEATURE_VECTORS,
  TS_COLUMN,
  checkBatchSize,
  checkRange,
  checkedValues,
  tableSpec,
  type ColumnValue,
  type TableSpec,
} from '../offline-tables.js';
import { fromSqlite, toSqlite } from './sqlite-codec.js';
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js';
import { TableOfflineStore } from '../table-offline-store.js';
import { toOfflineStoreError } from './sqlite-store-error.js';

export interface SqliteOfflineStoreOptions {
  /** The database file, created if missing (its directory must exist). */
  path: string;
  /** How long a write waits for another connection's lock before failing (retriable), in ms. */
  busyTimeoutMs?: number;
  /**
   * `normal`: a committed batch survives a crash of the process but may be lost with the
   * last moments before a power failure (WAL's usual trade). `full`: fsync on every commit.
   */
  synchronous?: 'normal' | 'full';
}

export const SQLITE_OFFLINE_DEFAULTS = Object.freeze({ busyTimeoutMs: 5_000, synchronous: 'normal' as const });

type Resolved = Required<SqliteOfflineStoreOptions>;

/** Checks the options once, at construction, naming the setting and the fix. */
export function resolveSqliteOfflineOptions(options: SqliteOfflineStoreOptions): Resolved {
  const known = ['path', ...Object.keys(SQLITE_OFFLINE_DEFAULTS)];
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new ConfigError(`SqliteOfflineStore: unknown option ${unknown.join(', ')}; known: ${known.join(', ')}`);
  if (typeof options.path !== 'string' || options.path.length === 0) {
    throw new ConfigError('SqliteOfflineStore: path must name the database file, e.g. .vigil/offline.sqlite');
  }
  const resolved: Resolved = {
    path: options.path,
    busyTimeoutMs: options.busyTimeoutMs ?? SQLITE_OFFLINE_DEFAULTS.busyTimeoutMs,
    synchronous: options.synchronous ?? SQLITE_OFFLINE_DEFAULTS.synchronous,
  };
  if (!Number.isSafeInteger(resolved.busyTimeoutMs) || resolved.busyTimeoutMs < 0) {
    throw new ConfigError(`SqliteOfflineStore: busyTimeoutMs must be a non-negative integer, got ${String(resolved.busyTimeoutMs)}`);
  }
  if (resolved.synchronous !== 'normal' && resolved.synchronous !== 'full') {
    throw new ConfigError(`SqliteOfflineStore: synchronous must be normal or full, got ${String(resolved.synchronous)}`);
  }
  return resolved;
}

/** Larger than any epoch ms a row may hold (safe integers), as the open end of a range. */
const END_OF_TIME = 2 ** 53;

/**
 * The embedded offline store: the same contract on one SQLite file (better-sqlite3, WAL), for
 * running vigil without a ClickHouse server. better-sqlite3 is synchronous, so each call
 * blocks the event loop for its duration: fine for micro-batches, and why scans read page by
 * page (keyset pagination on the scan order plus rowid) instead of holding a cursor open,
 * which would also lock the connection against writes until the scan ends.
 */
export class SqliteOfflineStore extends TableOfflineStore implements OfflineStore {
  readonly #db: Database.Database;
  readonly #migrations: readonly Migration[];
  readonly #statements = new Map<string, Database.Statement>();

  constructor(options: SqliteOfflineStoreOptions) {
    super();
    const resolved = resolveSqliteOfflineOptions(options);
    this.#migrations = SQLITE_MIGRATIONS;
    checkMigrationList(this.#migrations, 'SqliteOfflineStore');
    this.#db = this.#runSync('open', () => {
      const db = new Database(resolved.path, { timeout: resolved.busyTimeoutMs });
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${resolved.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      return db;
    });
  }

  async migrate(): Promise<MigrationReport> {
    return this.#run('migrate', () => runMigrations(this.#migrationTarget(), this.#migrations));
  }

  async appliedMigrations(): Promise<AppliedMigration[]> {
    return this.#run('migrate', async () => this.#readApplied());
  }

  async *scan<T extends OfflineTable>(table: T, range: ScanRange = {}, options: ScanOptions = {}): AsyncIterable<OfflineRows[T][]> {
    const spec = tableSpec(table, 'scan');
    checkRange(range, 'scan');
    const batchSize = checkBatchSize(options.batchSize ?? SCAN_DEFAULTS.batchSize, 'scan');
    const order = [TS_COLUMN, ...spec.tieBreakColumns, 'rowid'];
    const where = rangeConditions(spec, range);
    const statement = this.#prepare(
      `SELECT rowid AS "rowid", ${columnList(spec)} FROM "${spec.name}" WHERE ${where.sql} AND (${order.join(', ')}) > (${order.map(() => '?').join(', ')}) ORDER BY ${order.join(', ')} LIMIT ?`,
    );
    // Before the first row: every ts_ms is >= 0, so (-1, ...) is below all of them.
    let cursor: unknown[] = [-1, ...spec.tieBreakColumns.map(() => ''), 0];
    for (;;) {
      const page = this.#runSync('scan', () => statement.all(...where.params, ...cursor, batchSize) as Record<string, unknown>[]);
      if (page.length === 0) return;
      const last = page[page.length - 1]!;
      cursor = order.map((column) => last[column]);
      yield page.map((r) => decodeRecord(spec, r));
      if (page.length < batchSize) return;
    }
  }

  async vectorsAsOf(lookups: readonly VectorLookup[]): Promise<(FeatureVectorRow | undefined)[]> {
    checkLookups(lookups);
    if (lookups.length === 0) return [];
    const statement = this.#prepare(
      `SELECT ${columnList(FEATURE_VECTORS)} FROM feature_vectors WHERE event_id IN (SELECT value FROM json_each(?)) AND ts_ms <= ?`,
    );
    const eventIds = JSON.stringify([...new Set(lookups.map((l) => l.eventId))]);
    const maxAsOf = Math.max(...lookups.map((l) => l.asOfMs));
    const rows = this.#runSync('vectorsAsOf', () => statement.all(eventIds, maxAsOf) as Record<string, unknown>[]);
    return pickVectorsAsOf(lookups, rows.map((r) => decodeRecord(FEATURE_VECTORS, r)));
  }

  async count(table: OfflineTable, range: ScanRange = {}): Promise<number> {
    const spec = tableSpec(table, 'count');
    checkRange(range, 'count');
    const where = rangeConditions(spec, range);
    const statement = this.#prepare(`SELECT count(*) AS n FROM "${spec.name}" WHERE ${where.sql}`);
    return this.#runSync('count', () => (statement.get(...where.params) as { n: number }).n);
  }

  async close(): Promise<void> {
    this.#runSync('close', () => this.#db.close());
  }

  protected async insertRows<T extends OfflineTable>(table: T, rows: readonly OfflineRows[T][]): Promise<void> {
    const spec = tableSpec(table, 'insert');
    const values = checkedValues(spec, rows);
    if (values.length === 0) return;
    const types = spec.columns.map((c) => c.type);
    const statement = this.#prepare(
      `INSERT INTO "${spec.name}" (${columnList(spec)}) VALUES (${types.map(() => '?').join(', ')})`,
    );
    // One transaction per batch: all rows or none, and one fsync instead of one per row.
    const insertAll = this.#db.transaction(() => {
      for (const row of values) statement.run(...row.map((v, c) => toSqlite(types[c]!, v)));
    });
    this.#runSync('insert', () => insertAll());
  }

  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#runSync('open', () => this.#db.prepare(sql));
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #readApplied(): AppliedMigration[] {
    const rows = this.#db
      .prepare('SELECT version, name, checksum, applied_at_ms FROM schema_migrations ORDER BY version')
      .all() as { version: number; name: string; checksum: string; applied_at_ms: number }[];
    return rows.map((r) => ({ version: r.version, name: r.name, checksum: r.checksum, appliedAtMs: r.applied_at_ms }));
  }

  #migrationTarget(): MigrationTarget {
    return {
      prepare: async () => {
        this.#db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at_ms INTEGER NOT NULL
) STRICT`);
      },
      readApplied: async () => this.#readApplied(),
      apply: async (migration, checksum) => {
        // DDL is transactional here: a migration and its record commit together. IMMEDIATE
        // takes the write lock first, so a second process migrating waits, then finds the
        // version recorded and skips it.
        const applyOnce = this.#db.transaction(() => {
          const done = this.#db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
          if (done !== undefined) return;
          for (const statement of migration.statements) this.#db.exec(statement);
          this.#db
            .prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at_ms) VALUES (?, ?, ?, ?)')
            .run(migration.version, migration.name, checksum, Date.now());
        });
        applyOnce.immediate();
      },
    };
  }

  async #run<R>(operation: OfflineOperation, work: () => Promise<R>): Promise<R> {
    try {
      return await work();
    } catch (error) {
      throw toOfflineStoreError(operation, error);
    }
  }

  #runSync<R>(operation: OfflineOperation, work: () => R): R {
    try {
      return work();
    } catch (error) {
      throw toOfflineStoreError(operation, error);
    }
  }
}

function columnList<Row>(spec: TableSpec<Row>): string {
  return spec.columns.map((c) => `"${c.name}"`).join(', ');
}

/** The range as SQL with `?` placeholders; the open ends are bound as 0 and END_OF_TIME. */
function rangeConditions<Row>(spec: TableSpec<Row>, range: ScanRange): { sql: string; params: unknown[] } {
  const conditions = [`${TS_COLUMN} >= ?`, `${TS_COLUMN} < ?`];
  const params: unknown[] = [range.fromMs ?? 0, range.toMs ?? END_OF_TIME];
  if (range.key !== undefined) {
    conditions.unshift(`"${spec.keyColumn}" = ?`);
    params.unshift(range.key);
  }
  return { sql: conditions.join(' AND '), params };
}

function decodeRecord<Row>(spec: TableSpec<Row>, row: Record<string, unknown>): Row {
  const record: Record<string, ColumnValue> = {};
  for (const column of spec.columns) record[column.name] = fromSqlite(column.type, row[column.name]);
  return spec.fromRecord(record);
}
