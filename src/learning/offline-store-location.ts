/**
 * Where the offline store is, from one setting: an http(s) URL is a ClickHouse server (with a
 * database name), anything else the path of an embedded SQLite file. Shared by `vigil learn`
 * and `vigil models list`.
 */
import { ClickHouseOfflineStore } from '../store/clickhouse/clickhouse-offline-store.js';
import type { OfflineStore } from '../store/offline-store.js';
import { SqliteOfflineStore } from '../store/sqlite/sqlite-offline-store.js';

export type OfflineStoreLocation = { type: 'clickhouse'; url: string; database: string } | { type: 'sqlite'; path: string };

export const DEFAULT_CLICKHOUSE_DATABASE = 'vigil';

export function offlineStoreLocation(location: string, database = DEFAULT_CLICKHOUSE_DATABASE): OfflineStoreLocation {
  return /^https?:\/\//i.test(location) ? { type: 'clickhouse', url: location, database } : { type: 'sqlite', path: location };
}

export function describeLocation(l: OfflineStoreLocation): string {
  return l.type === 'clickhouse' ? `ClickHouse ${l.url} database ${l.database}` : `SQLite ${l.path}`;
}

/** Opens the store (a ConfigError for bad settings); the caller migrates and closes it. */
export function openOfflineStore(l: OfflineStoreLocation): OfflineStore {
  return l.type === 'clickhouse' ? new ClickHouseOfflineStore({ url: l.url, database: l.database }) : new SqliteOfflineStore({ path: l.path });
}
