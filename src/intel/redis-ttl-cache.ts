import type { Redis } from 'ioredis';
import { ConfigError } from '../errors/vigil-error.js';
import { toStoreError } from '../store/redis/redis-store-error.js';
import { IntelError } from './intel-errors.js';

/**
 * A cache shared by the processes that query one service, so a value fetched once (and paid
 * for from the service's quota) serves every scorer until its TTL ends. `null` is cached too:
 * "the service knows nothing" is an answer worth keeping, for its own (shorter) TTL.
 */
export interface TtlCache {
  /** For each key, the cached value and its remaining TTL, or undefined when absent. */
  getMany(keys: readonly string[]): Promise<({ value: number | null; ttlMs: number } | undefined)[]>;
  set(key: string, value: number | null, ttlMs: number): Promise<void>;
}

export interface RedisTtlCacheOptions {
  /**
   * A connected ioredis client, borrowed and never closed; give it a `commandTimeout` and a
   * bounded `maxRetriesPerRequest` so a lost server fails fast instead of stalling the filler.
   */
  client: Redis;
  /** Prepended to every key: `<keyPrefix><namespace>:<key>`. */
  keyPrefix?: string;
  /** Which service's answers these are, e.g. `abuseipdb`. */
  namespace: string;
}

export const REDIS_TTL_CACHE_DEFAULTS = Object.freeze({ keyPrefix: 'vigil:intel:' });

/**
 * The cache on Redis: one string key per cached answer (the number as text, or `null`),
 * expiring by PX. A batch of keys is one pipelined round trip of GET and PTTL pairs.
 */
export class RedisTtlCache implements TtlCache {
  readonly #client: Redis;
  readonly #prefix: string;
  readonly #provider: string;

  constructor(options: RedisTtlCacheOptions) {
    const keyPrefix = options.keyPrefix ?? REDIS_TTL_CACHE_DEFAULTS.keyPrefix;
    if (!/^[A-Za-z0-9_-]+$/.test(options.namespace)) {
      throw new ConfigError(`RedisTtlCache: namespace ${JSON.stringify(options.namespace)} must be letters, digits, _ and -`);
    }
    this.#client = options.client;
    this.#prefix = `${keyPrefix}${options.namespace}:`;
    this.#provider = `redis-ttl-cache(${options.namespace})`;
  }

  /** The Redis key of a cached key, for operators and tests. */
  storageKey(key: string): string {
    return this.#prefix + key;
  }

  async getMany(keys: readonly string[]): Promise<({ value: number | null; ttlMs: number } | undefined)[]> {
    if (keys.length === 0) return [];
    const pipeline = this.#client.pipeline();
    for (const key of keys) pipeline.get(this.storageKey(key)).pttl(this.storageKey(key));
    const replies = await this.#run('getMany', () => pipeline.exec());
    return keys.map((key, i) => {
      const [getError, text] = replies?.[2 * i] ?? [new Error('no reply'), null];
      const [ttlError, ttl] = replies?.[2 * i + 1] ?? [new Error('no reply'), null];
      const error = getError ?? ttlError;
      if (error) throw this.#wrap('getMany', error);
      // A key that expired between GET and PTTL answers -2: it is gone.
      if (typeof text !== 'string' || typeof ttl !== 'number' || ttl <= 0) return undefined;
      const value = text === 'null' ? null : Number(text);
      if (value !== null && !Number.isFinite(value)) {
        throw new IntelError(this.#provider, `key ${this.storageKey(key)} holds ${JSON.stringify(text)}, not a number or null`);
      }
      return { value, ttlMs: ttl };
    });
  }

  async set(key: string, value: number | null, ttlMs: number): Promise<void> {
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new ConfigError(`RedisTtlCache.set: ttlMs must be a positive integer, got ${ttlMs}`);
    await this.#run('set', () => this.#client.set(this.storageKey(key), value === null ? 'null' : String(value), 'PX', ttlMs));
  }

  async #run<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw this.#wrap(operation, error);
    }
  }

  /** Retriability as the online store decides it (redis-store-error.ts): by error type, never by message. */
  #wrap(operation: string, error: unknown): IntelError {
    if (error instanceof IntelError) return error;
    const { retriable } = toStoreError('getMany', error);
    const message = error instanceof Error ? error.message : String(error);
    return new IntelError(this.#provider, `${operation}: redis: ${message}`, { retriable, cause: error });
  }
}
