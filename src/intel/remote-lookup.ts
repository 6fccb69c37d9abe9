import { ConfigError } from '../errors/vigil-error.js';
import { childLogger } from '../telemetry/logger.js';
import { IntelError, IntelRateLimitError } from './intel-errors.js';
import type { KeyLookup } from './key-lookup.js';
import type { TtlCache } from './redis-ttl-cache.js';
import { checkRate, fullBucket, takeToken, type TokenBucket, type TokenBucketRate } from './token-bucket.js';

/**
 * Asks a service for one key; resolves to the value, or null when the service knows nothing
 * about the key. Throws IntelError (IntelRateLimitError on a 429). Must honour `signal`.
 */
export type RemoteFetch = (key: string, signal: AbortSignal) => Promise<number | null>;

/**
 * A lookup on a remote service (AbuseIPDB, RDAP) that never makes the hot path wait.
 *
 * `lookup(key)` is synchronous and answers only from memory:
 * 1. a fresh answer in memory is returned (a cached "unknown" returns undefined);
 * 2. otherwise the key is queued for filling and `lookup` returns undefined at once: the
 *    feature scores it by its missing-value rule this time.
 *
 * The filler runs on the event loop, between events, never inside a `lookup`:
 * 3. it takes queued keys in batches, asks the shared TTL cache (Redis) for all of them in one
 *    round trip, and keeps what it finds, with the TTL Redis has left;
 * 4. it fetches the rest one at a time through a token bucket (`requestsPerSecond`, `burst`):
 *    the service's quota is never exceeded whatever the event rate. A 429 pauses all fetching
 *    for its Retry-After and requeues the key;
 * 5. each answer goes to memory and to the shared cache: values for `ttlMs`, "unknown" for
 *    `negativeTtlMs`. A failed fetch is reported to `onError` and the key answers unknown for
 *    `errorBackoffMs` before it may be asked again (not written to the shared cache).
 *
 * Purity. A feature group reading this lookup computes a pure function of the event and of
 * the memory at scoring time. Memory changes only between events (JavaScript runs one task at
 * a time, and no `await` sits inside a step), so one event sees one consistent state;
 * `version` counts the answers filled in so far, and a topology that records it (or the
 * scored values themselves) with each event can tell which state a value came from. Replays
 * of recorded events should read the recorded values, or a `staticLookup` of a snapshot.
 *
 * Bounds: at most `maxQueued` keys wait (more misses are dropped and counted, never blocking)
 * and at most `maxEntries` answers are kept (the oldest written goes first).
 */
export interface RemoteLookupOptions {
  /** Names the provider in errors and stats, e.g. `abuseipdb`. */
  name: string;
  fetch: RemoteFetch;
  /** The shared cache; without one, each process asks the service itself. */
  cache?: TtlCache;
  /** How long a value is trusted. */
  ttlMs?: number;
  /** How long "the service knows nothing" is trusted. */
  negativeTtlMs?: number;
  /** After a failed fetch, how long the key answers unknown before it may be asked again. */
  errorBackoffMs?: number;
  requestsPerSecond?: number;
  burst?: number;
  maxQueued?: number;
  maxEntries?: number;
  /** Keys per shared-cache round trip. */
  cacheBatch?: number;
  /** Wall clock for TTLs and the token bucket. */
  now?: () => number;
  /** Where failures go; by default a warning on the `intel` logger. */
  onError?: (error: IntelError) => void;
}

export const REMOTE_LOOKUP_DEFAULTS = Object.freeze({
  ttlMs: 24 * 3_600_000,
  negativeTtlMs: 3_600_000,
  errorBackoffMs: 60_000,
  // AbuseIPDB's free plan allows 1,000 checks a day; 1/s with a burst of 1 is the caller's job to lower.
  requestsPerSecond: 1,
  burst: 1,
  maxQueued: 10_000,
  maxEntries: 100_000,
  cacheBatch: 100,
});

export interface RemoteLookupStats {
  /** `lookup` calls answered from memory (a value or a cached unknown). */
  hits: number;
  /** `lookup` calls that found nothing fresh. */
  misses: number;
  /** Misses dropped because `maxQueued` keys were already waiting. */
  droppedQueueFull: number;
  /** Keys filled from the shared cache. */
  cacheHits: number;
  /** Answers fetched from the service (values and unknowns). */
  fetched: number;
  rateLimited: number;
  errors: number;
}

interface Entry {
  readonly value: number | null;
  readonly expiresAt: number;
}

const log = childLogger('intel');

export class RemoteLookup implements KeyLookup {
  readonly #o: Required<Omit<RemoteLookupOptions, 'cache'>> & { cache: TtlCache | undefined };
  readonly #rate: TokenBucketRate;
  readonly #memory = new Map<string, Entry>();
  /** Waiting keys, in arrival order (a Set: a key waits once however often it is missed). */
  readonly #queued = new Set<string>();
  readonly #inFlight = new Set<string>();
  readonly #stats: RemoteLookupStats = { hits: 0, misses: 0, droppedQueueFull: 0, cacheHits: 0, fetched: 0, rateLimited: 0, errors: 0 };
  readonly #abort = new AbortController();
  #bucket: TokenBucket;
  #pausedUntil = 0;
  #version = 0;
  #running: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #closed = false;

  constructor(options: RemoteLookupOptions) {
    const o = { ...REMOTE_LOOKUP_DEFAULTS, now: Date.now, onError: defaultOnError, ...options, cache: options.cache };
    for (const key of ['ttlMs', 'negativeTtlMs', 'errorBackoffMs', 'maxQueued', 'maxEntries', 'cacheBatch'] as const) {
      if (!Number.isSafeInteger(o[key]) || o[key] <= 0) throw new ConfigError(`RemoteLookup(${o.name}): ${key} must be a positive integer, got ${o[key]}`);
    }
    this.#o = o;
    this.#rate = checkRate({ perSecond: o.requestsPerSecond, burst: o.burst }, `RemoteLookup(${o.name})`);
    this.#bucket = fullBucket(this.#rate, o.now());
  }

  lookup(key: string): number | undefined {
    const entry = this.#memory.get(key);
    if (entry !== undefined && entry.expiresAt > this.#o.now()) {
      this.#stats.hits++;
      return entry.value ?? undefined;
    }
    this.#stats.misses++;
    this.#enqueue(key);
    return undefined;
  }

  /** How many answers have been filled in: the memory state a lookup answered from. */
  get version(): number {
    return this.#version;
  }

  stats(): Readonly<RemoteLookupStats> {
    return { ...this.#stats };
  }

  /** Resolves once no key waits and nothing is being fetched. */
  async whenIdle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  /** Stops filling: aborts the request in flight and drops waiting keys. Lookups still answer from memory. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    this.#queued.clear();
    this.#wake?.();
    await this.whenIdle();
  }

  #enqueue(key: string): void {
    if (this.#closed || this.#queued.has(key) || this.#inFlight.has(key)) return;
    if (this.#queued.size >= this.#o.maxQueued) {
      this.#stats.droppedQueueFull++;
      return;
    }
    this.#queued.add(key);
    this.#startFiller();
  }

  #startFiller(): void {
    if (this.#running !== undefined || this.#closed) return;
    this.#running = this.#drain()
      // Only a throwing onError handler gets here; it must not become an unhandled rejection.
      .catch((error: unknown) => log.error({ provider: this.#o.name, err: error }, 'intel filler stopped by a failing onError'))
      .finally(() => {
        this.#running = undefined;
        // A key queued after the loop's last check but before this callback starts a new run.
        if (this.#queued.size > 0) this.#startFiller();
      });
  }

  /** Keeps an answer (`filled`) or an error backoff in memory, evicting the oldest entry past `maxEntries`. */
  #remember(key: string, value: number | null, ttlMs: number, filled = true): void {
    this.#memory.delete(key); // re-inserted last, so eviction takes the oldest written
    this.#memory.set(key, { value, expiresAt: this.#o.now() + ttlMs });
    if (this.#memory.size > this.#o.maxEntries) this.#memory.delete(this.#memory.keys().next().value!);
    if (filled) this.#version++;
  }

  #report(error: unknown): void {
    const e = error instanceof IntelError ? error : new IntelError(this.#o.name, String(error), { cause: error });
    this.#o.onError(e);
  }

  async #drain(): Promise<void> {
    // Started from a lookup: yield first, so the filler never runs inside the caller's step.
    await Promise.resolve();
    while (!this.#closed && this.#queued.size > 0) {
      const batch = [...this.#queued].slice(0, this.#o.cacheBatch);
      for (const key of batch) {
        this.#queued.delete(key);
        this.#inFlight.add(key);
      }
      const toFetch = await this.#fillFromCache(batch);
      for (const key of toFetch) {
        if (!this.#closed) await this.#fetchOne(key);
        this.#inFlight.delete(key);
      }
    }
  }

  /** The keys of `batch` the shared cache did not hold (all of them if it failed). */
  async #fillFromCache(batch: string[]): Promise<string[]> {
    if (this.#o.cache === undefined) return batch;
    let found: Awaited<ReturnType<TtlCache['getMany']>>;
    try {
      found = await this.#o.cache.getMany(batch);
    } catch (error) {
      this.#report(error);
      return batch;
    }
    const missing: string[] = [];
    batch.forEach((key, i) => {
      const hit = found[i];
      if (hit === undefined) {
        missing.push(key);
      } else {
        this.#stats.cacheHits++;
        this.#remember(key, hit.value, hit.ttlMs);
        this.#inFlight.delete(key);
      }
    });
    return missing;
  }

  async #fetchOne(key: string): Promise<void> {
    await this.#takeToken();
    if (this.#closed) return;
    let value: number | null;
    try {
      value = await this.#o.fetch(key, this.#abort.signal);
    } catch (error) {
      // close() aborted the request: that is the shutdown asked for, not a failure to report.
      if (this.#closed) return;
      if (error instanceof IntelRateLimitError) {
        this.#stats.rateLimited++;
        this.#pausedUntil = this.#o.now() + error.retryAfterMs;
        this.#queued.add(key);
        return;
      }
      this.#stats.errors++;
      this.#report(error);
      this.#remember(key, null, this.#o.errorBackoffMs, false);
      return;
    }
    this.#stats.fetched++;
    const ttl = value === null ? this.#o.negativeTtlMs : this.#o.ttlMs;
    this.#remember(key, value, ttl);
    if (this.#o.cache === undefined) return;
    try {
      await this.#o.cache.set(key, value, ttl);
    } catch (error) {
      this.#report(error);
    }
  }

  /** Waits for a token and for any pause a 429 imposed; returns early on close. */
  async #takeToken(): Promise<void> {
    for (;;) {
      if (this.#closed) return;
      const now = this.#o.now();
      if (now < this.#pausedUntil) {
        await this.#sleep(this.#pausedUntil - now);
        continue;
      }
      const { bucket, waitMs } = takeToken(this.#bucket, this.#rate, now);
      this.#bucket = bucket;
      if (waitMs === 0) return;
      await this.#sleep(waitMs);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      // Unref'd: a process that is otherwise done need not wait for the filler's next token.
      const timer = setTimeout(done, ms);
      timer.unref();
      this.#wake = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }
}

function defaultOnError(error: IntelError): void {
  log.warn({ provider: error.provider, retriable: error.retriable, err: error }, error.message);
}
