import type { Redis } from 'ioredis';
import {
  decodeStored,
  encodeSnapshot,
  previousSourceStateKey,
  resolveSourceStateOptions,
  sourceStateKey,
  SourceStateStoreError,
  type SourceSnapshotEntry,
  type SourceStateOperation,
  type SourceStateStore,
  type SourceStateStoreOptions,
  type StoredSource,
} from '../source-state-store.js';
import { isRetriableRedisError, redisErrorMessage } from './redis-store-error.js';

export interface RedisSourceStateStoreOptions extends SourceStateStoreOptions {
  /** A connected ioredis client; borrowed, never closed here (see RedisOnlineStore). */
  client: Redis;
}

function toError(operation: SourceStateOperation, error: unknown): SourceStateStoreError {
  if (error instanceof SourceStateStoreError) return error;
  return new SourceStateStoreError(operation, `redis: ${redisErrorMessage(error)}`, { retriable: isRetriableRedisError(error), cause: error });
}

/**
 * The feature-state store on Redis: two string keys per source, its current and its previous
 * encoded snapshot. `load` is one MGET of both, `save` one MULTI of (COPY current to previous,
 * PEXPIRE previous, then) SET ... PX, so a micro-batch costs two round trips
 * whatever its number of sources, and another reader sees all of a batch's snapshots or none.
 */
export class RedisSourceStateStore implements SourceStateStore {
  readonly #client: Redis;
  readonly #options: Required<SourceStateStoreOptions>;

  constructor(options: RedisSourceStateStoreOptions) {
    this.#options = resolveSourceStateOptions(options, 'RedisSourceStateStore');
    this.#client = options.client;
  }

  async load(entities: readonly string[]): Promise<(StoredSource | undefined)[]> {
    if (entities.length === 0) return [];
    const keys = entities.map((e) => ({ current: sourceStateKey(this.#options.keyPrefix, e), previous: previousSourceStateKey(this.#options.keyPrefix, e) }));
    let texts: (string | null)[];
    try {
      texts = await this.#client.mget(...keys.flatMap((k) => [k.current, k.previous]));
    } catch (error) {
      throw toError('load', error);
    }
    return keys.map((k, i) => decodeStored(texts[2 * i]!, texts[2 * i + 1]!, k));
  }

  async save(entries: readonly SourceSnapshotEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const multi = this.#client.multi();
    for (const e of entries) {
      const current = sourceStateKey(this.#options.keyPrefix, e.entity);
      if (e.retainCurrent) {
        const previous = previousSourceStateKey(this.#options.keyPrefix, e.entity);
        // COPY carries the remaining TTL along; the previous snapshot must live as long as the new current one.
        multi.copy(current, previous, 'REPLACE').pexpire(previous, this.#options.ttlMs);
      }
      multi.set(current, encodeSnapshot(e.snapshot), 'PX', this.#options.ttlMs);
    }
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await multi.exec();
    } catch (error) {
      throw toError('save', error);
    }
    if (replies === null) throw new SourceStateStoreError('save', 'redis: the transaction was discarded', { retriable: true });
    for (const [error] of replies) if (error) throw toError('save', error);
  }
}
