/**
 * The embedded stand-in for a Redis server: string keys holding numeric fields and source
 * positions, each key with an expiry time read from an injected clock (so tests move time
 * instead of sleeping). Several stores with different key prefixes may share one keyspace,
 * as they would share one server.
 *
 * Expiry is lazy, as in Redis: an expired key is dropped when read, and a sweep over all
 * keys runs at most once per `sweepIntervalMs` so keys that are never read again (an IP that
 * went quiet) do not pile up.
 */
export interface MemoryKeyspaceOptions {
  /** Current time in epoch ms. */
  clock?: () => number;
  /** Least time between two full sweeps for expired keys. */
  sweepIntervalMs?: number;
}

export const MEMORY_KEYSPACE_DEFAULTS = Object.freeze({ clock: Date.now, sweepIntervalMs: 60_000 });

export interface MemoryEntry {
  readonly fields: Map<string, number>;
  readonly positions: Map<number, number>;
  expiresAt: number;
}

export class MemoryKeyspace {
  readonly #clock: () => number;
  readonly #sweepIntervalMs: number;
  readonly #entries = new Map<string, MemoryEntry>();
  #nextSweepAt: number;

  constructor(options: MemoryKeyspaceOptions = {}) {
    const resolved = { ...MEMORY_KEYSPACE_DEFAULTS, ...options };
    this.#clock = resolved.clock;
    this.#sweepIntervalMs = resolved.sweepIntervalMs;
    this.#nextSweepAt = this.#clock() + this.#sweepIntervalMs;
  }

  now(): number {
    return this.#clock();
  }

  /** The live entry at `key`, or undefined if absent or expired (then it is dropped). */
  get(key: string, now = this.now()): MemoryEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, entry: MemoryEntry): void {
    this.#entries.set(key, entry);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Number of keys held, expired ones not yet dropped included. */
  get size(): number {
    return this.#entries.size;
  }

  /** Drops every expired key if the last sweep is older than `sweepIntervalMs`. */
  sweepIfDue(now = this.now()): void {
    if (now < this.#nextSweepAt) return;
    this.#nextSweepAt = now + this.#sweepIntervalMs;
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
  }
}
