import type { Redis } from 'ioredis';
import {
  decodeSnapshot,
  encodeSnapshot,
  resolveSourceStateOptions,
  sourceStateKey,
  SourceStateStoreError,
  type SourceSnapshot,
  type SourceSnapshotEntry,
  type SourceStateOperation,
  type SourceStateStore,
  type SourceStateStoreOptions,
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
 * The feature-state store on Redis: one string key per source holding its encoded snapshot.
 * `load` is one MGET, `save` one MULTI of SET ... PX, so a micro-batch costs two round trips
 * whatever its number of sources, and another reader sees all of a batch's snapshots or none.
 */
export class RedisSourceStateStore implements SourceStateStore {
  readonly #client: Redis;
  readonly #options: Required<SourceStateStoreOptions>;

  constructor(options: RedisSourceStateStoreOptions) {
    this.#options = resolveSourceStateOptions(options, 'RedisSourceStateStore');
    this.#client = options.client;
  }

  async load(entities: readonly string[]): Promise<(SourceSnapshot | undefined)[]> {
    if (entities.length === 0) return [];
    const keys = entities.map((e) => sourceStateKey(this.#options.keyPrefix, e));
    let texts: (string | null)[];
    try {
      texts = await this.#client.mget(...keys);
    } catch (error) {
      throw toError('load', error);
    }
    return texts.map((text, i) => (text === null ? undefined : decodeSnapshot(text, keys[i]!)));
  }

  async save(entries: readonly SourceSnapshotEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const multi = this.#client.multi();
    for (const e of entries) multi.set(sourceStateKey(this.#options.keyPrefix, e.entity), encodeSnapshot(e.snapshot), 'PX', this.#options.ttlMs);
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
