import {
  checkEntries,
  checkUpdates,
  resolveStoreOptions,
  storageKey,
  type ApplyBatchResult,
  type EntityKey,
  type FieldFold,
  type KeyState,
  type KeyStateEntry,
  type OnlineStore,
  type OnlineStoreOptions,
  type ResolvedStoreOptions,
  type StateUpdate,
} from '../online-store.js';
import { MemoryKeyspace, type MemoryEntry } from './memory-keyspace.js';

export interface MemoryOnlineStoreOptions extends OnlineStoreOptions {
  /** Where keys live; share one between stores to share data. A fresh one by default. */
  keyspace?: MemoryKeyspace;
}

function toKeyState(entry: MemoryEntry): KeyState {
  return { fields: Object.fromEntries(entry.fields), positions: Object.fromEntries(entry.positions) };
}

function foldInto(fields: Map<string, number>, fold: FieldFold): void {
  for (const [name, v] of Object.entries(fold.add ?? {})) fields.set(name, (fields.get(name) ?? 0) + v);
  for (const [name, v] of Object.entries(fold.min ?? {})) {
    const current = fields.get(name);
    if (current === undefined || v < current) fields.set(name, v);
  }
  for (const [name, v] of Object.entries(fold.max ?? {})) {
    const current = fields.get(name);
    if (current === undefined || v > current) fields.set(name, v);
  }
}

/**
 * The embedded online store: the contract of online-store.ts on an in-process keyspace, for
 * running without services and for tests. Each call runs to completion synchronously inside
 * its promise, which is what makes a batch atomic here.
 */
export class MemoryOnlineStore implements OnlineStore {
  readonly keyspace: MemoryKeyspace;
  readonly #options: ResolvedStoreOptions;

  constructor(options: MemoryOnlineStoreOptions) {
    this.#options = resolveStoreOptions(options, 'MemoryOnlineStore');
    this.keyspace = options.keyspace ?? new MemoryKeyspace();
  }

  async getMany(keys: readonly EntityKey[]): Promise<(KeyState | undefined)[]> {
    const now = this.keyspace.now();
    return keys.map((key) => {
      const entry = this.keyspace.get(storageKey(this.#options, key), now);
      return entry && toKeyState(entry);
    });
  }

  async putMany(entries: readonly KeyStateEntry[]): Promise<void> {
    const ttls = checkEntries(this.#options, entries);
    const now = this.keyspace.now();
    this.keyspace.sweepIfDue(now);
    entries.forEach((e, i) => {
      const key = storageKey(this.#options, e);
      const positions = Object.entries(e.state.positions).map(([p, o]) => [Number(p), o] as const);
      if (Object.keys(e.state.fields).length === 0 && positions.length === 0) {
        this.keyspace.delete(key);
        return;
      }
      this.keyspace.set(key, {
        fields: new Map(Object.entries(e.state.fields)),
        positions: new Map(positions),
        expiresAt: now + ttls[i]!,
      });
    });
  }

  async applyBatch(updates: readonly StateUpdate[]): Promise<ApplyBatchResult> {
    const ttls = checkUpdates(this.#options, updates);
    const now = this.keyspace.now();
    this.keyspace.sweepIfDue(now);
    let applied = 0;
    updates.forEach((u, i) => {
      const key = storageKey(this.#options, u);
      let entry = this.keyspace.get(key, now);
      const last = entry?.positions.get(u.position.partition);
      if (last !== undefined && u.position.offset <= last) return;
      if (entry === undefined) {
        entry = { fields: new Map(), positions: new Map(), expiresAt: 0 };
        this.keyspace.set(key, entry);
      }
      foldInto(entry.fields, u.fold);
      entry.positions.set(u.position.partition, u.position.offset);
      entry.expiresAt = now + ttls[i]!;
      applied++;
    });
    return { applied, skipped: updates.length - applied };
  }
}
