import {
  decodeSnapshot,
  encodeSnapshot,
  resolveSourceStateOptions,
  sourceStateKey,
  type SourceSnapshot,
  type SourceSnapshotEntry,
  type SourceStateStore,
  type SourceStateStoreOptions,
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

  async load(entities: readonly string[]): Promise<(SourceSnapshot | undefined)[]> {
    const now = this.#clock();
    return entities.map((entity) => {
      const key = sourceStateKey(this.#options.keyPrefix, entity);
      const entry = this.#entries.get(key);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= now) {
        this.#entries.delete(key);
        return undefined;
      }
      return decodeSnapshot(entry.text, key);
    });
  }

  async save(entries: readonly SourceSnapshotEntry[]): Promise<void> {
    const expiresAt = this.#clock() + this.#options.ttlMs;
    const encoded = entries.map((e) => [sourceStateKey(this.#options.keyPrefix, e.entity), encodeSnapshot(e.snapshot)] as const);
    for (const [key, text] of encoded) this.#entries.set(key, { text, expiresAt });
  }

  /** Keys held, expired ones not yet dropped included. */
  get size(): number {
    return this.#entries.size;
  }
}
