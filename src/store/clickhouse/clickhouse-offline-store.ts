import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, drainStream, type ClickHouseClient } from '@clickhouse/client';
import { ConfigError } from '../../errors/vigil-error.js';
import { runMigrations, type MigrationTarget } from '../migrations/run-migrations.js';
import { checkMigrationList, type Migration } from '../migrations/migration.js';
import { checkLookups, pickVectorsAsOf } from '../offline-as-of.js';
import { OfflineStoreError, type OfflineOperation } from '../offline-errors.js';
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
import { CLICKHOUSE_MIGRATIONS, renderStatement } from './clickhouse-migrations.js';
import { integerLiteral, isIdentifier, quoteIdentifier, quoteString, stringList } from './clickhouse-sql.js';
import { TableOfflineStore } from '../table-offline-store.js';
import { toOfflineStoreError } from './clickhouse-store-error.js';
import { encodeRowBinary } from './row-binary.js';

export interface ClickHouseOfflineStoreOptions {
  /** The server's HTTP interface. */
  url?: string;
  username?: string;
  password?: string;
  /** Database holding the tables; created by `migrate`. Letters, digits and `_`. */
  database?: string;
  /** How long one request may take before it fails (retriable), in ms. */
  requestTimeoutMs?: number;
  /**
   * Most bytes of SQL per `vectorsAsOf` query; lookups beyond it go in further queries. The
   * server refuses queries over its `max_query_size` (262144 by default).
   */
  maxQueryBytes?: number;
}

export const CLICKHOUSE_OFFLINE_DEFAULTS: Readonly<Required<ClickHouseOfflineStoreOptions>> = Object.freeze({
  url: 'http://127.0.0.1:8123',
  username: 'default',
  password: '',
  database: 'vigil',
  requestTimeoutMs: 30_000,
  maxQueryBytes: 200_000,
});

type Resolved = Required<ClickHouseOfflineStoreOptions>;

/** Sort memory per scan before ClickHouse sorts externally (on disk). */
const SCAN_SORT_MEMORY_BYTES = '1000000000';

/** Checks the options once, at construction, naming the setting and the fix. */
export function resolveClickHouseOfflineOptions(options: ClickHouseOfflineStoreOptions): Resolved {
  const unknown = Object.keys(options).filter((k) => !(k in CLICKHOUSE_OFFLINE_DEFAULTS));
  if (unknown.length > 0) {
    throw new ConfigError(`ClickHouseOfflineStore: unknown option ${unknown.join(', ')}; known: ${Object.keys(CLICKHOUSE_OFFLINE_DEFAULTS).join(', ')}`);
  }
  const resolved: Resolved = { ...CLICKHOUSE_OFFLINE_DEFAULTS, ...withoutUndefined(options) };
  if (!isIdentifier(resolved.database)) {
    throw new ConfigError(`ClickHouseOfflineStore: database ${JSON.stringify(resolved.database)} must be letters, digits and _, not starting with a digit`);
  }
  for (const key of ['requestTimeoutMs', 'maxQueryBytes'] as const) {
    if (!Number.isSafeInteger(resolved[key]) || resolved[key] <= 0) {
      throw new ConfigError(`ClickHouseOfflineStore: ${key} must be a positive integer, got ${String(resolved[key])}`);
    }
  }
  try {
    new URL(resolved.url);
  } catch (cause) {
    throw new ConfigError(`ClickHouseOfflineStore: url ${JSON.stringify(resolved.url)} is not a URL (e.g. http://127.0.0.1:8123)`, { cause });
  }
  return resolved;
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** UInt64 columns arrive as strings in JSON (they may exceed 2^53); ours hold epoch ms and counts, which do not. */
function decodeRecord<Row>(spec: TableSpec<Row>, json: Record<string, ColumnValue>): Row {
  for (const column of spec.columns) {
    if (column.type === 'timestamp' || column.type === 'uint64') json[column.name] = Number(json[column.name]);
  }
  return spec.fromRecord(json);
}

/**
 * The offline store on ClickHouse, over HTTP with @clickhouse/client; SQL that runs on
 * Debian's 18.16 and on current servers (clickhouse-migrations.ts). Inserts are one RowBinary
 * request per batch; reads are JSONEachRow, streamed for scans. Values in SQL go through
 * clickhouse-sql.ts only.
 */
export class ClickHouseOfflineStore extends TableOfflineStore implements OfflineStore {
  readonly #client: ClickHouseClient;
  readonly #options: Resolved;
  readonly #db: string;
  readonly #migrations: readonly Migration[];

  constructor(options: ClickHouseOfflineStoreOptions = {}) {
    super();
    this.#options = resolveClickHouseOfflineOptions(options);
    this.#db = quoteIdentifier(this.#options.database);
    this.#migrations = CLICKHOUSE_MIGRATIONS;
    checkMigrationList(this.#migrations, 'ClickHouseOfflineStore');
    this.#client = createClient({
      url: this.#options.url,
      username: this.#options.username,
      password: this.#options.password,
      request_timeout: this.#options.requestTimeoutMs,
      // The server closes idle sockets after 3 s; reusing one it already closed fails with
      // EPIPE under concurrent inserts (STACK_NOTES), so stale sockets are dropped first.
      keep_alive: { eagerly_destroy_stale_sockets: true },
      // Every failure reaches the caller as an OfflineStoreError; the client logging it too
      // would report each one twice.
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  migrate(): Promise<MigrationReport> {
    return this.#run('migrate', () => runMigrations(this.#migrationTarget(), this.#migrations));
  }

  appliedMigrations(): Promise<AppliedMigration[]> {
    return this.#run('migrate', () => this.#readApplied());
  }

  async *scan<T extends OfflineTable>(table: T, range: ScanRange = {}, options: ScanOptions = {}): AsyncIterable<OfflineRows[T][]> {
    const spec = tableSpec(table, 'scan');
    checkRange(range, 'scan');
    const batchSize = checkBatchSize(options.batchSize ?? SCAN_DEFAULTS.batchSize, 'scan');
    const order = [TS_COLUMN, ...spec.tieBreakColumns].join(', ');
    const query = `SELECT ${columnList(spec)} FROM ${this.#table(table)}${whereClause(spec, range)} ORDER BY ${order}`;
    const resultSet = await this.#run('scan', () =>
      // A replay of a long range sorts more than fits in memory; let the server spill to disk.
      this.#client.query({ query, format: 'JSONEachRow', clickhouse_settings: { max_bytes_before_external_sort: SCAN_SORT_MEMORY_BYTES } }),
    );
    const stream = resultSet.stream<Record<string, ColumnValue>>();
    let batch: OfflineRows[T][] = [];
    try {
      for await (const rows of this.#guard('scan', stream)) {
        for (const row of rows) {
          batch.push(decodeRecord(spec, row.json()));
          if (batch.length === batchSize) {
            yield batch;
            batch = [];
          }
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      // Stopping early (break) must not leave the response, and its socket, half read.
      resultSet.close();
    }
  }

  async vectorsAsOf(lookups: readonly VectorLookup[]): Promise<(FeatureVectorRow | undefined)[]> {
    checkLookups(lookups);
    const candidates: FeatureVectorRow[] = [];
    for (const chunk of this.#lookupChunks(lookups)) {
      const rows = await this.#selectAll('vectorsAsOf', FEATURE_VECTORS, this.#asOfQuery(chunk));
      candidates.push(...rows);
    }
    return pickVectorsAsOf(lookups, candidates);
  }

  async count(table: OfflineTable, range: ScanRange = {}): Promise<number> {
    const spec = tableSpec(table, 'count');
    checkRange(range, 'count');
    const query = `SELECT count() AS n FROM ${this.#table(table)}${whereClause(spec, range)}`;
    const rows = await this.#run('count', async () => (await this.#client.query({ query, format: 'JSONEachRow' })).json<{ n: string }>());
    return Number(rows[0]?.n ?? 0);
  }

  close(): Promise<void> {
    return this.#run('close', () => this.#client.close());
  }

  #table(table: string): string {
    return `${this.#db}.${quoteIdentifier(table)}`;
  }

  protected async insertRows<T extends OfflineTable>(table: T, rows: readonly OfflineRows[T][]): Promise<void> {
    const spec = tableSpec(table, 'insert');
    const values = checkedValues(spec, rows);
    if (values.length === 0) return;
    const body = encodeRowBinary(spec.columns.map((c) => c.type), values);
    const query = `INSERT INTO ${this.#table(table)} (${columnList(spec)}) FORMAT RowBinary`;
    await this.#run('insert', async () => {
      const result = await this.#client.exec({ query, values: Readable.from([body]) });
      await drainStream(result.stream);
    });
  }

  /**
   * Lookups in groups whose SQL stays under `maxQueryBytes`. Lookup values are user data of any
   * length, so the limit is on the quoted text, not on a count of lookups.
   */
  *#lookupChunks(lookups: readonly VectorLookup[]): Iterable<VectorLookup[]> {
    const budget = this.#options.maxQueryBytes - 1_000; // the rest of the query
    let chunk: VectorLookup[] = [];
    let bytes = 0;
    for (const lookup of lookups) {
      const size = Buffer.byteLength(quoteString(lookup.eventId)) + Buffer.byteLength(quoteString(lookup.key ?? '')) + 4;
      if (chunk.length > 0 && bytes + size > budget) {
        yield chunk;
        chunk = [];
        bytes = 0;
      }
      if (size > budget) {
        throw new OfflineStoreError('vectorsAsOf', `a lookup's eventId and key take ${size} bytes of SQL, more than maxQueryBytes allows`);
      }
      chunk.push(lookup);
      bytes += size;
    }
    if (chunk.length > 0) yield chunk;
  }

  #asOfQuery(chunk: readonly VectorLookup[]): string {
    const eventIds = [...new Set(chunk.map((l) => l.eventId))];
    const conditions = [`event_id IN ${stringList(eventIds)}`, `${TS_COLUMN} <= ${integerLiteral(Math.max(...chunk.map((l) => l.asOfMs)))}`];
    // Only when every lookup names its key can the primary index (key, ts_ms) narrow the read.
    if (chunk.every((l) => l.key !== undefined)) conditions.unshift(`key IN ${stringList([...new Set(chunk.map((l) => l.key!))])}`);
    return `SELECT ${columnList(FEATURE_VECTORS)} FROM ${this.#table('feature_vectors')} WHERE ${conditions.join(' AND ')}`;
  }

  async #selectAll<Row>(operation: OfflineOperation, spec: TableSpec<Row>, query: string): Promise<Row[]> {
    const rows = await this.#run(operation, async () => (await this.#client.query({ query, format: 'JSONEachRow' })).json<Record<string, ColumnValue>>());
    return rows.map((r) => decodeRecord(spec, r));
  }

  async #command(query: string): Promise<void> {
    await this.#client.command({ query });
  }

  async #readApplied(): Promise<AppliedMigration[]> {
    // Two processes migrating at once can both record a version: one row per version is read.
    const query = `SELECT version, any(name) AS name, any(checksum) AS checksum, min(applied_at_ms) AS applied_at_ms
FROM ${this.#table('schema_migrations')} GROUP BY version ORDER BY version`;
    const rows = await (await this.#client.query({ query, format: 'JSONEachRow' })).json<{ version: number; name: string; checksum: string; applied_at_ms: string }>();
    return rows.map((r) => ({ version: Number(r.version), name: r.name, checksum: r.checksum, appliedAtMs: Number(r.applied_at_ms) }));
  }

  #migrationTarget(): MigrationTarget {
    return {
      prepare: async () => {
        await this.#command(`CREATE DATABASE IF NOT EXISTS ${this.#db}`);
        await this.#command(`CREATE TABLE IF NOT EXISTS ${this.#table('schema_migrations')} (
  version UInt32,
  name String,
  checksum String,
  applied_at_ms UInt64
) ENGINE = MergeTree ORDER BY version`);
      },
      readApplied: () => this.#readApplied(),
      apply: async (migration, checksum) => {
        for (const statement of migration.statements) await this.#command(renderStatement(statement, this.#db));
        await this.#command(
          `INSERT INTO ${this.#table('schema_migrations')} (version, name, checksum, applied_at_ms) VALUES (${integerLiteral(migration.version)}, ${quoteString(migration.name)}, ${quoteString(checksum)}, ${integerLiteral(Date.now())})`,
        );
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

  /** Rethrows what a result stream throws mid-read as an OfflineStoreError. */
  async *#guard<X>(operation: OfflineOperation, source: AsyncIterable<X>): AsyncIterable<X> {
    try {
      yield* source;
    } catch (error) {
      throw toOfflineStoreError(operation, error);
    }
  }
}

function columnList<Row>(spec: TableSpec<Row>): string {
  return spec.columns.map((c) => quoteIdentifier(c.name)).join(', ');
}

function whereClause<Row>(spec: TableSpec<Row>, range: ScanRange): string {
  const conditions: string[] = [];
  if (range.key !== undefined) conditions.push(`${quoteIdentifier(spec.keyColumn)} = ${quoteString(range.key)}`);
  if (range.fromMs !== undefined) conditions.push(`${TS_COLUMN} >= ${integerLiteral(range.fromMs)}`);
  if (range.toMs !== undefined) conditions.push(`${TS_COLUMN} < ${integerLiteral(range.toMs)}`);
  return conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`;
}
