import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Redis } from 'ioredis';
import { ConfigError } from '../errors/vigil-error.js';
import { ClickHouseOfflineStore } from './clickhouse/clickhouse-offline-store.js';
import type { OfflineStore } from './offline-store.js';
import { RedisSourceStateStore } from './redis/redis-source-state-store.js';
import type { SourceStateStore, SourceStateStoreOptions } from './source-state-store.js';
import { SqliteOfflineStore } from './sqlite/sqlite-offline-store.js';

/**
 * Stores named by one command-line string each, so every command takes the same spelling:
 *
 * - offline: `http://HOST:8123[/DATABASE]` (ClickHouse's HTTP interface; the database from the
 *   path, else the `database` setting, else `vigil`), or a SQLite file: `sqlite:PATH` or any
 *   other string, read as a path (the embedded store);
 * - state: `redis://HOST:6379[/DB]`.
 */
export type OfflineStoreLocation = { type: 'clickhouse'; url: string; database: string; username?: string; password?: string } | { type: 'sqlite'; path: string };

export const DEFAULT_CLICKHOUSE_DATABASE = 'vigil';

export function offlineStoreLocation(spec: string, database?: string): OfflineStoreLocation {
  if (/^https?:\/\//i.test(spec)) {
    const url = new URL(spec);
    const fromPath = url.pathname.replace(/^\/+|\/+$/g, '');
    return {
      type: 'clickhouse',
      url: `${url.protocol}//${url.host}`,
      database: fromPath || database || DEFAULT_CLICKHOUSE_DATABASE,
      ...(url.username && { username: decodeURIComponent(url.username) }),
      ...(url.password && { password: decodeURIComponent(url.password) }),
    };
  }
  const path = spec.startsWith('sqlite:') ? spec.slice('sqlite:'.length) : spec;
  if (path.length === 0) throw new ConfigError('offline store: give http://HOST:8123[/DATABASE] for ClickHouse or the path of a SQLite file');
  return { type: 'sqlite', path };
}

export function describeLocation(l: OfflineStoreLocation): string {
  return l.type === 'clickhouse' ? `ClickHouse ${l.url} database ${l.database}` : `SQLite ${l.path}`;
}

/** Opens the store (a ConfigError for bad settings); the caller migrates and closes it. */
export function openOfflineStore(l: OfflineStoreLocation): OfflineStore {
  if (l.type === 'sqlite') {
    // A default path such as .vigil/offline.sqlite must work on a fresh checkout.
    mkdirSync(dirname(l.path), { recursive: true });
    return new SqliteOfflineStore({ path: l.path });
  }
  const { type: _type, ...options } = l;
  return new ClickHouseOfflineStore(options);
}

/** The store `spec` names, migrated to this code's schema. */
export async function openMigratedOfflineStore(spec: string): Promise<OfflineStore> {
  const store = openOfflineStore(offlineStoreLocation(spec));
  await store.migrate();
  return store;
}

/** A feature-state store and what closes it. */
export interface OpenedStateStore {
  store: SourceStateStore;
  close(): Promise<void>;
}

export function openStateStore(spec: string, options: SourceStateStoreOptions = {}): OpenedStateStore {
  if (!/^rediss?:\/\//.test(spec)) throw new ConfigError(`state store ${JSON.stringify(spec)}: give redis://HOST:6379[/DB]`);
  // Bounded retries and a command timeout: a lost server becomes a retriable error, not a hang.
  const client = new Redis(spec, { maxRetriesPerRequest: 1, commandTimeout: 10_000 });
  return {
    store: new RedisSourceStateStore({ client, ...options }),
    close: async () => {
      await client.quit();
    },
  };
}
