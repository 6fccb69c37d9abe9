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
 * - offline: `http://HOST:8123[/DATABASE]` (ClickHouse's HTTP interface; database `vigil` by
 *   default) or `sqlite:PATH` (the embedded store; a bare path ending in .sqlite or .db too);
 * - state: `redis://HOST:6379[/DB]`.
 */
export async function openOfflineStore(spec: string): Promise<OfflineStore> {
  const store = offlineStoreOf(spec);
  await store.migrate();
  return store;
}

function offlineStoreOf(spec: string): OfflineStore {
  if (/^https?:\/\//.test(spec)) {
    const url = new URL(spec);
    const database = url.pathname.replace(/^\/+|\/+$/g, '');
    const options = {
      url: `${url.protocol}//${url.host}`,
      ...(url.username && { username: decodeURIComponent(url.username) }),
      ...(url.password && { password: decodeURIComponent(url.password) }),
      ...(database && { database }),
    };
    return new ClickHouseOfflineStore(options);
  }
  const path = spec.startsWith('sqlite:') ? spec.slice('sqlite:'.length) : /\.(sqlite|db)$/.test(spec) ? spec : null;
  if (path === null || path.length === 0) {
    throw new ConfigError(`offline store ${JSON.stringify(spec)}: give http://HOST:8123[/DATABASE] for ClickHouse or sqlite:PATH for the embedded store`);
  }
  return new SqliteOfflineStore({ path });
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
