import {
  decodeStored,
  encodeSnapshot,
  previousSourceStateKey,
  resolveSourceStateOptions,
  sourceStateKey,
  type SourceSnapshotEntry,
  type SourceStateStore,
  type SourceStateStoreOptions,
  type StoredSource,
} from '../source-state-store.js';

export interface MemorySourceStateStoreOptions extends SourceStateStoreOptions {
  /** Current time in epoch ms; tests move it instead of sleeping. */
  clock?: () => number;
}

/**
 * The embedded feature-state store. Snapshots are kept encoded, as Redis keeps them, so a
 * state that does not survive encoding fails here too rather than only in production.
 */
export class MemorySourceStateStore implements SourceStateStore {
  readonly #options: Required<SourceStateStoreOptions>;
  readonly #clock: () => number;
  readonly #entries = new Map<string, { text: string; expiresAt: number }>();

  constructor(options: MemorySourceStateStoreOptions = {}) {
    this.#options = resolveSourceStateOptions(options, 'MemorySourceStateStore');
    this.#clock = options.clock ?? Date.now;
  }

  async load(entities: readonly string[]): Promise<(StoredSource | undefined)[]> {
    return entities.map((entity) => {
      const keys = { current: sourceStateKey(this.#options.keyPrefix, entity), previous: previousSourceStateKey(this.#options.keyPrefix, entity) };
      return decodeStored(this.#live(keys.current)?.text ?? null, this.#live(keys.previous)?.text ?? null, keys);
    });
  }

  async save(entries: readonly SourceSnapshotEntry[]): Promise<void> {
    const expiresAt = this.#clock() + this.#options.ttlMs;
    // Encoded first, so a snapshot that cannot be encoded changes nothing (like a failed MULTI).
    const encoded = entries.map((e) => ({ entry: e, current: sourceStateKey(this.#options.keyPrefix, e.entity), text: encodeSnapshot(e.snapshot) }));
    for (const { entry, current, text } of encoded) {
      const held = this.#live(current);
      if (entry.retainCurrent) {
        // As Redis does: COPY (when there is a current one), then PEXPIRE the previous key.
        const previous = previousSourceStateKey(this.#options.keyPrefix, entry.entity);
        const text = held?.text ?? this.#live(previous)?.text;
        if (text !== undefined) this.#entries.set(previous, { text, expiresAt });
      }
      this.#entries.set(current, { text, expiresAt });
    }
  }

  #live(key: string): { text: string; expiresAt: number } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#clock()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Keys held, expired ones not yet dropped included. */
  get size(): number {
    return this.#entries.size;
  }
}
