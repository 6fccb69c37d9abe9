import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { OfflineStoreError } from '../../src/store/offline-errors.js';
import { SQLITE_TYPES } from '../../src/store/sqlite/sqlite-codec.js';
import { SqliteOfflineStore } from '../../src/store/sqlite/sqlite-offline-store.js';
import { toOfflineStoreError } from '../../src/store/sqlite/sqlite-store-error.js';
import { generatedRows } from './generated-rows.js';
import { collect, describeOfflineStoreContract } from './offline-store-contract.js';

function tempFile(): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-offline-'));
  return { path: join(dir, 'offline.sqlite'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `work` on a second, plain connection to the store's file. */
function withConnection<R>(path: string, work: (db: Database.Database) => R): R {
  const db = new Database(path);
  try {
    return work(db);
  } finally {
    db.close();
  }
}

describeOfflineStoreContract('SqliteOfflineStore', () => {
  const file = tempFile();
  return {
    createStore: async () => new SqliteOfflineStore({ path: file.path }),
    reopen: async () => new SqliteOfflineStore({ path: file.path }),
    columnTypes: SQLITE_TYPES,
    describeTable: async (table) =>
      withConnection(file.path, (db) => (db.pragma(`table_info(${table})`) as { name: string; type: string }[]).map((c) => ({ name: c.name, type: c.type }))),
    recordMigration: async (version, name, checksum) => {
      withConnection(file.path, (db) => db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?, 0)').run(version, name, checksum));
    },
    cleanup: async () => file.remove(),
  };
});

describe('SqliteOfflineStore on a file', () => {
  let file: ReturnType<typeof tempFile>;
  let store: SqliteOfflineStore;
  beforeEach(async () => {
    file = tempFile();
    store = new SqliteOfflineStore({ path: file.path });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
    file.remove();
  });

  it('writes in WAL mode, and a second connection sees committed batches', async () => {
    expect(withConnection(file.path, (db) => db.pragma('journal_mode', { simple: true }))).toBe('wal');
    await store.insertEvents(generatedRows('events', 2, 25));
    const other = new SqliteOfflineStore({ path: file.path });
    try {
      expect(await other.count('events')).toBe(25);
      expect((await collect(other.scan('events'))).rows).toHaveLength(25);
    } finally {
      await other.close();
    }
  });

  it('fails a write as retriable while another connection holds the write lock', async () => {
    const blocked = new SqliteOfflineStore({ path: file.path, busyTimeoutMs: 50 });
    const holder = new Database(file.path);
    try {
      holder.exec('BEGIN IMMEDIATE');
      const error = await blocked.insertEvents(generatedRows('events', 3, 2)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OfflineStoreError);
      expect((error as OfflineStoreError).retriable).toBe(true);
      expect((error as OfflineStoreError).code).toBe('SQLITE_BUSY');
      holder.exec('ROLLBACK');
      await blocked.insertEvents(generatedRows('events', 3, 2));
      expect(await store.count('events')).toBe(2);
    } finally {
      holder.close();
      await blocked.close();
    }
  });

  it('classifies SQLite errors other than busy or locked as non-retriable', () => {
    const corrupt = toOfflineStoreError('scan', new Database.SqliteError('database disk image is malformed', 'SQLITE_CORRUPT'));
    expect(corrupt.retriable).toBe(false);
    const locked = toOfflineStoreError('insert', new Database.SqliteError('database table is locked', 'SQLITE_LOCKED_SHAREDCACHE'));
    expect(locked.retriable).toBe(true);
  });

  it('rejects unknown options and a missing path', () => {
    expect(() => new SqliteOfflineStore({ path: file.path, busyTimeout: 5 } as never)).toThrow(ConfigError);
    expect(() => new SqliteOfflineStore({} as never)).toThrow(/path must name the database file/);
  });
});
