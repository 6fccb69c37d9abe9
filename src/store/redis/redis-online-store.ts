import type { Redis } from 'ioredis';
import {
  checkEntries,
  checkUpdates,
  resolveStoreOptions,
  storageKey,
  ttlOf,
  type ApplyBatchResult,
  type EntityKey,
  type KeyState,
  type KeyStateEntry,
  type OnlineStore,
  type OnlineStoreOptions,
  type ResolvedStoreOptions,
  type StateUpdate,
} from '../online-store.js';
import { APPLY_BATCH_LUA, encodeApplyBatch } from './apply-batch-script.js';
import { decodeState, encodeState } from './hash-layout.js';
import { toStoreError } from './redis-store-error.js';

export interface RedisOnlineStoreOptions extends OnlineStoreOptions {
  /**
   * A connected (or connecting) ioredis client. The store borrows it and never closes it;
   * give it a `commandTimeout` and a bounded `maxRetriesPerRequest` so a lost server
   * surfaces as a retriable StoreError instead of a call that waits forever.
   */
  client: Redis;
}

/** ioredis adds a method per `defineCommand`; this is its shape for our script. */
type WithApplyBatch = Redis & {
  vigilApplyBatch(numberOfKeys: number, ...keysThenArg: string[]): Promise<number>;
};

const SCRIPT_COMMAND = 'vigilApplyBatch';

/**
 * The online store on Redis: one hash per key (layout in hash-layout.ts), TTL by PEXPIRE.
 * Each call is one round trip whatever the number of keys: `getMany` pipelines HGETALLs,
 * `putMany` sends one MULTI, `applyBatch` one script call (apply-batch-script.ts).
 */
export class RedisOnlineStore implements OnlineStore {
  readonly #client: WithApplyBatch;
  readonly #options: ResolvedStoreOptions;

  constructor(options: RedisOnlineStoreOptions) {
    this.#options = resolveStoreOptions(options, 'RedisOnlineStore');
    // defineCommand sends EVALSHA and falls back to EVAL (loading the script) on NOSCRIPT.
    options.client.defineCommand(SCRIPT_COMMAND, { lua: APPLY_BATCH_LUA });
    this.#client = options.client as WithApplyBatch;
  }

  async getMany(keys: readonly EntityKey[]): Promise<(KeyState | undefined)[]> {
    if (keys.length === 0) return [];
    const pipeline = this.#client.pipeline();
    for (const key of keys) {
      ttlOf(this.#options, key, 'getMany');
      pipeline.hgetall(storageKey(this.#options, key));
    }
    const replies = await this.#run('getMany', () => pipeline.exec());
    return replies.map(([error, hash]) => {
      if (error) throw toStoreError('getMany', error);
      return decodeState(hash as Record<string, string>);
    });
  }

  async putMany(entries: readonly KeyStateEntry[]): Promise<void> {
    const ttls = checkEntries(this.#options, entries);
    if (entries.length === 0) return;
    const multi = this.#client.multi();
    entries.forEach((e, i) => {
      const key = storageKey(this.#options, e);
      const hash = encodeState(e.state);
      multi.del(key);
      if (Object.keys(hash).length > 0) multi.hset(key, hash).pexpire(key, ttls[i]!);
    });
    const replies = await this.#run('putMany', () => multi.exec());
    for (const [error] of replies) if (error) throw toStoreError('putMany', error);
  }

  async applyBatch(updates: readonly StateUpdate[]): Promise<ApplyBatchResult> {
    const ttls = checkUpdates(this.#options, updates);
    if (updates.length === 0) return { applied: 0, skipped: 0 };
    const storageKeys = updates.map((u) => storageKey(this.#options, u));
    const { keys, arg } = encodeApplyBatch(updates, storageKeys, ttls);
    const applied = await this.#run('applyBatch', () => this.#client.vigilApplyBatch(keys.length, ...keys, arg));
    return { applied, skipped: updates.length - applied };
  }

  /** Runs one Redis call, turning whatever it throws, or a missing reply, into a StoreError. */
  async #run<T>(operation: 'getMany' | 'putMany' | 'applyBatch', call: () => Promise<T | null>): Promise<T> {
    let reply: T | null;
    try {
      reply = await call();
    } catch (error) {
      throw toStoreError(operation, error);
    }
    if (reply === null) throw toStoreError(operation, new Error('the transaction was discarded'));
    return reply;
  }
}
