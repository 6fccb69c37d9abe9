import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { ClickHouseOfflineStore } from '../../src/store/clickhouse/clickhouse-offline-store.js';
import { quoteString } from '../../src/store/clickhouse/clickhouse-sql.js';
import { CLICKHOUSE_TYPES } from '../../src/store/clickhouse/row-binary.js';
import { OfflineStoreError } from '../../src/store/offline-errors.js';
import { adminClient, CLICKHOUSE_URL, ensureClickHouse, randomDatabase } from './clickhouse-test-server.js';
import { T0, generatedRows } from './generated-rows.js';
import { describeOfflineStoreContract } from './offline-store-contract.js';

const admin = adminClient();
beforeAll(ensureClickHouse);
afterAll(async () => {
  await admin.close();
});

async function dropDatabase(database: string): Promise<void> {
  await admin.command({ query: `DROP DATABASE IF EXISTS \`${database}\`` });
}

describeOfflineStoreContract('ClickHouseOfflineStore', () => {
  const database = randomDatabase();
  return {
    createStore: async () => new ClickHouseOfflineStore({ url: CLICKHOUSE_URL, database }),
    reopen: async () => new ClickHouseOfflineStore({ url: CLICKHOUSE_URL, database }),
    columnTypes: CLICKHOUSE_TYPES,
    describeTable: async (table) => {
      const rows = await (await admin.query({ query: `DESCRIBE TABLE \`${database}\`.\`${table}\``, format: 'JSONEachRow' })).json<{ name: string; type: string }>();
      return rows.map((r) => ({ name: r.name, type: r.type }));
    },
    recordMigration: async (version, name, checksum) => {
      await admin.command({
        query: `INSERT INTO \`${database}\`.schema_migrations (version, name, checksum, applied_at_ms) VALUES (${version}, ${quoteString(name)}, ${quoteString(checksum)}, 0)`,
      });
    },
    cleanup: () => dropDatabase(database),
  };
});

describe('ClickHouseOfflineStore on a real server', () => {
  let database: string;
  let store: ClickHouseOfflineStore;
  beforeEach(async () => {
    database = randomDatabase();
    store = new ClickHouseOfflineStore({ url: CLICKHOUSE_URL, database });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    await dropDatabase(database);
  });

  it('reads string literals back exactly as the server parses them', async () => {
    const strings = ["'", '\\', "\\'", "'\\", '\n\r\t\0\b\f\v\x1b\x7f', "'); DROP TABLE x; --", 'caf\u00e9 \u{1F600}', '$1 {db} ?', ''];
    for (let code = 0; code < 128; code++) strings.push(`a${String.fromCharCode(code)}b`);
    const query = `SELECT [${strings.map(quoteString).join(', ')}] AS s`;
    const [row] = await (await admin.query({ query, format: 'JSONEachRow' })).json<{ s: string[] }>();
    expect(row?.s).toEqual(strings);
  });

  it('keeps the table after a key written to drop it, and answers only that key', async () => {
    const key = "x'); DROP TABLE events; --";
    await store.insertEvents([
      { key, ts: T0, eventId: 'a', kind: 'flow', payload: '{}' },
      { key: 'other', ts: T0, eventId: 'b', kind: 'flow', payload: '{}' },
    ]);
    expect(await store.count('events', { key })).toBe(1);
    expect(await store.count('events', { key: "x' OR '1'='1" })).toBe(0);
    const [exists] = await (await admin.query({ query: `EXISTS TABLE \`${database}\`.events`, format: 'JSONEachRow' })).json<{ result: number }>();
    expect(Number(exists?.result)).toBe(1);
  });

  it('splits point-in-time lookups over several queries when they outgrow maxQueryBytes', async () => {
    const rows = generatedRows('feature_vectors', 4, 300, 10);
    await store.insertFeatureVectors(rows);
    const small = new ClickHouseOfflineStore({ url: CLICKHOUSE_URL, database, maxQueryBytes: 2_000 });
    try {
      const lookups = rows.map((r) => ({ eventId: r.eventId, key: r.key, asOfMs: r.ts }));
      const answers = await small.vectorsAsOf(lookups);
      expect(answers.map((a) => a?.eventId)).toEqual(rows.map((r) => r.eventId));
    } finally {
      await small.close();
    }
  });

  it('fails an SQL error as non-retriable, with the server code', async () => {
    await dropDatabase(database);
    const error = await store.count('events').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OfflineStoreError);
    expect((error as OfflineStoreError).retriable).toBe(false);
    expect((error as OfflineStoreError).code).toBe('81'); // UNKNOWN_DATABASE
    expect((error as OfflineStoreError).cause).toBeInstanceOf(Error);
  });

  it('fails an unreachable server as retriable', async () => {
    const away = new ClickHouseOfflineStore({ url: 'http://127.0.0.1:1', database, requestTimeoutMs: 2_000 });
    try {
      const error = await away.insertEvents(generatedRows('events', 1, 3)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OfflineStoreError);
      expect((error as OfflineStoreError).retriable).toBe(true);
      expect((error as OfflineStoreError).operation).toBe('insert');
    } finally {
      await away.close();
    }
  });

  it('rejects unknown options and a database name that is not an identifier', () => {
    expect(() => new ClickHouseOfflineStore({ databse: 'x' } as never)).toThrow(ConfigError);
    expect(() => new ClickHouseOfflineStore({ database: 'vigil; DROP DATABASE x' })).toThrow(/letters, digits and _/);
    expect(() => new ClickHouseOfflineStore({ url: 'not a url' })).toThrow(/is not a URL/);
  });
});
