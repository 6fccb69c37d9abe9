import { ConfigError, VigilError } from '../errors/vigil-error.js';

/**
 * The online store contract: per-key aggregate state, kept narrow like Chronon's KVStore and
 * Feast's OnlineStore. Every method works on many keys per call, because one round trip per
 * key is what limits a networked store (see STACK_NOTES: Redis).
 *
 * Keys. A key names an entity (a source IP) within a family (`baseline_features`); its
 * storage key is `<keyPrefix><family>:<entity>`. Each family has its own TTL: a key expires
 * that long after it was last written by `putMany` or by an applied update.
 *
 * State. A key holds numeric fields (`sport:count`) and, per source partition, the offset of
 * the last update applied to it.
 *
 * Effectively-once updates. `applyBatch` folds each update into its key only if the update's
 * source position is newer than the last one applied to that key for that partition, so a
 * record that Kafka redelivers after a crash is skipped, not counted twice. For this to hold:
 * - make one update per source record (its own offset), not one per key and micro-batch: a
 *   redelivered batch need not split at the same offsets, and a folded update whose position
 *   is newer would re-apply the records before it;
 * - give the family a TTL longer than any redelivery can lag: positions expire with the key.
 *
 * Folds. An update adds to fields (`add`) or keeps the smaller or larger value (`min`, `max`).
 * All three commute, so writers on different partitions may interleave freely; anything that
 * does not commute belongs in a tile written by `putMany`.
 */
export interface OnlineStore {
  /**
   * The states of `keys`, in the same order; `undefined` where a key is absent or expired.
   * Repeated keys are allowed and answered each time.
   */
  getMany(keys: readonly EntityKey[]): Promise<(KeyState | undefined)[]>;
  /**
   * Replaces the whole state (fields and positions) of each key and starts its TTL. For
   * tiles computed elsewhere (backfill); live updates go through `applyBatch`. An entry with
   * neither fields nor positions deletes its key. Atomic, like `applyBatch`.
   */
  putMany(entries: readonly KeyStateEntry[]): Promise<void>;
  /**
   * Folds `updates` into their keys in order, atomically: another writer sees all of the
   * batch or none of it, and a batch that fails validation or a server-side check changes
   * nothing. An update whose position is not newer than its key's last applied position on
   * that partition is skipped. Refreshes the TTL of every key it changed.
   *
   * A retriable failure (the connection dropped) may come after the server applied the
   * batch and only the reply was lost; retrying the same batch is then a no-op, since every
   * position in it is already recorded.
   */
  applyBatch(updates: readonly StateUpdate[]): Promise<ApplyBatchResult>;
}

/** A family of keys and how long its keys live after their last write. */
export interface KeyFamily {
  /** Part of the storage key: letters, digits and `_`. */
  readonly name: string;
  readonly ttlMs: number;
}

export interface EntityKey {
  readonly family: string;
  /** The entity the state belongs to, such as a source IP. */
  readonly entity: string;
}

/** Where a record came from: a Kafka partition and the record's offset in it. */
export interface SourcePosition {
  readonly partition: number;
  /** A safe integer; Kafka's int64 offsets stay below 2^53 in practice. */
  readonly offset: number;
}

/** How an update changes fields; a field not named keeps its value. */
export interface FieldFold {
  /** Added to the field (an absent field counts as 0). */
  readonly add?: Readonly<Record<string, number>>;
  /** Written if smaller than the field, or if the field is absent. */
  readonly min?: Readonly<Record<string, number>>;
  /** Written if larger than the field, or if the field is absent. */
  readonly max?: Readonly<Record<string, number>>;
}

export interface StateUpdate extends EntityKey {
  readonly position: SourcePosition;
  readonly fold: FieldFold;
}

export interface KeyState {
  readonly fields: Readonly<Record<string, number>>;
  /** Offset of the last applied update, by partition. */
  readonly positions: Readonly<Record<number, number>>;
}

export interface KeyStateEntry extends EntityKey {
  readonly state: KeyState;
}

export interface ApplyBatchResult {
  /** Updates folded in. */
  readonly applied: number;
  /** Updates skipped because their position was not newer than the key's. */
  readonly skipped: number;
}

export type StoreOperation = 'getMany' | 'putMany' | 'applyBatch';

/**
 * A store operation failed. `retriable` is true where trying again can help (the connection
 * dropped, a command timed out, the server is busy or loading) and false where it cannot (a
 * script error, a key of the wrong type, an invalid update). `cause` keeps the original error.
 */
export class StoreError extends VigilError {
  readonly operation: StoreOperation;
  constructor(operation: StoreOperation, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(`${operation}: ${message}`, options);
    this.operation = operation;
  }
}

/** Settings every store shares. */
export interface OnlineStoreOptions {
  /** Prepended to every storage key, so several deployments or tests can share one server. */
  keyPrefix?: string;
  /** The families this store serves; a key of any other family is rejected. */
  families: readonly KeyFamily[];
}

export const ONLINE_STORE_DEFAULTS = Object.freeze({ keyPrefix: 'vigil:' });

export interface ResolvedStoreOptions {
  readonly keyPrefix: string;
  readonly ttlMsByFamily: ReadonlyMap<string, number>;
}

const FAMILY_NAME = /^[A-Za-z0-9_]+$/;

/** Checks the shared settings once, at construction, naming the setting and the fix. */
export function resolveStoreOptions(options: OnlineStoreOptions, storeName: string): ResolvedStoreOptions {
  const keyPrefix = options.keyPrefix ?? ONLINE_STORE_DEFAULTS.keyPrefix;
  if (typeof keyPrefix !== 'string') throw new ConfigError(`${storeName}: keyPrefix must be a string`);
  const ttlMsByFamily = new Map<string, number>();
  for (const family of options.families ?? []) {
    if (!FAMILY_NAME.test(family.name)) {
      throw new ConfigError(`${storeName}: family name ${JSON.stringify(family.name)} must be letters, digits and _`);
    }
    if (!Number.isSafeInteger(family.ttlMs) || family.ttlMs <= 0) {
      throw new ConfigError(`${storeName}: family ${family.name} ttlMs must be a positive integer of ms, got ${family.ttlMs}`);
    }
    if (ttlMsByFamily.has(family.name)) throw new ConfigError(`${storeName}: family ${family.name} is listed twice`);
    ttlMsByFamily.set(family.name, family.ttlMs);
  }
  if (ttlMsByFamily.size === 0) throw new ConfigError(`${storeName}: families must list at least one key family`);
  return { keyPrefix, ttlMsByFamily };
}

export function storageKey(options: ResolvedStoreOptions, key: EntityKey): string {
  return `${options.keyPrefix}${key.family}:${key.entity}`;
}

/** The TTL of the key's family; throws a non-retriable StoreError for an unknown family. */
export function ttlOf(options: ResolvedStoreOptions, key: EntityKey, operation: StoreOperation): number {
  const ttl = options.ttlMsByFamily.get(key.family);
  if (ttl === undefined) {
    const known = [...options.ttlMsByFamily.keys()].join(', ');
    throw new StoreError(operation, `unknown key family ${JSON.stringify(key.family)}; this store serves ${known}`);
  }
  if (typeof key.entity !== 'string' || key.entity.length === 0) {
    throw new StoreError(operation, `key of family ${key.family} has an empty entity`);
  }
  return ttl;
}

/**
 * Where a bad value sits, for the error. A function: every update of every batch is checked,
 * and building the string for each one costs more than the check (bench/kafka.ts profile).
 */
type Where = () => string;

/** Field names a store may hold: non-empty, and not starting with `@` (reserved for stores). */
function checkFields(fields: Readonly<Record<string, number>> | undefined, where: Where, operation: StoreOperation): void {
  if (fields === undefined) return;
  // for-in: no entry arrays allocated per update (the objects are plain, own keys only).
  for (const name in fields) {
    const value = fields[name];
    if (name.length === 0 || name.startsWith('@')) {
      throw new StoreError(operation, `${where()}: field name ${JSON.stringify(name)} must be non-empty and not start with @`);
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new StoreError(operation, `${where()}.${name} is ${String(value)}, expected a finite number`);
    }
  }
}

function checkPosition(partition: number, offset: number, where: Where, operation: StoreOperation): void {
  if (!Number.isSafeInteger(partition) || partition < 0) {
    throw new StoreError(operation, `${where()}: partition ${partition} must be a non-negative integer`);
  }
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new StoreError(operation, `${where()}: offset ${offset} must be a non-negative safe integer`);
  }
}

/**
 * Validates a whole batch before any of it is applied, so a bad update fails the batch
 * instead of leaving half of it written. Returns each update's TTL.
 */
export function checkUpdates(options: ResolvedStoreOptions, updates: readonly StateUpdate[]): number[] {
  return updates.map((u, i) => {
    const ttl = ttlOf(options, u, 'applyBatch');
    const where = () => `update ${i} (${u.family} ${u.entity})`;
    checkPosition(u.position?.partition, u.position?.offset, where, 'applyBatch');
    checkFields(u.fold?.add, () => `${where()} add`, 'applyBatch');
    checkFields(u.fold?.min, () => `${where()} min`, 'applyBatch');
    checkFields(u.fold?.max, () => `${where()} max`, 'applyBatch');
    return ttl;
  });
}

/** Validates entries for `putMany`; returns each entry's TTL. */
export function checkEntries(options: ResolvedStoreOptions, entries: readonly KeyStateEntry[]): number[] {
  return entries.map((e, i) => {
    const ttl = ttlOf(options, e, 'putMany');
    const where = () => `entry ${i} (${e.family} ${e.entity})`;
    checkFields(e.state.fields, () => `${where()} fields`, 'putMany');
    for (const [partition, offset] of Object.entries(e.state.positions)) checkPosition(Number(partition), offset, where, 'putMany');
    return ttl;
  });
}
