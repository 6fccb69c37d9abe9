import { ConfigError, VigilError } from '../errors/vigil-error.js';
import { parseExact, stringifyExact } from './exact-json.js';

/**
 * The feature-state store: each source IP's feature-group states (features 80-99 of the v2
 * vector, see features/pipeline.ts) kept between micro-batches, across restarts and across
 * the instances of a consumer group, so that whichever process owns a source after a
 * rebalance continues its windows, sequences and baselines instead of starting them again.
 *
 * Unlike the online store's numeric fields (online-store.ts), a group state is structured
 * data (tiles, ring buffers, an LSTM's h and c), so each source is one snapshot: written whole
 * after the micro-batch that changed it, read whole by a process that does not hold it. The
 * partition's consumer is its only writer (records are keyed by source IP), so last write
 * wins is the right rule and no fold is needed.
 *
 * Each snapshot carries the pipeline `layout` it was taken with; a snapshot of another
 * layout (groups added, removed or reordered by an upgrade) is not restored into the wrong
 * groups: `load` gives it as absent and the source starts afresh.
 *
 * Effectively-once states. The snapshot of a batch is written before the batch's outputs and
 * offsets commit, so a crash (or a rebalance that makes the batch stale) between the two
 * leaves a snapshot that already holds records Kafka will deliver again. Stepping those
 * records again from it would count them twice. So each snapshot records, per input
 * partition, the offset of the last record folded into it (`positions`), and the store keeps
 * one version back (`previous`): the reader of a redelivered batch takes the newest version
 * holding none of the batch's records (`snapshotBefore`). One version back is enough because
 * a partition's consumer has one batch in flight: the batch before it had committed.
 *
 * Keys are `<keyPrefix>source_state:<ip>` (current) and `<keyPrefix>source_state_previous:<ip>`,
 * and expire `ttlMs` after their last write: a source idle that long has aged out of every
 * windowed feature anyway.
 */
export interface SourceStateStore {
  /** Snapshots of `entities` (source IPs), in the order asked; undefined where absent or expired. */
  load(entities: readonly string[]): Promise<(StoredSource | undefined)[]>;
  /** Writes each snapshot whole and restarts its TTL; one round trip for the batch. */
  save(entries: readonly SourceSnapshotEntry[]): Promise<void>;
}

/**
 * Kafka positions folded into a state: `topic[partition]` -> offset of the last record folded
 * (or, for a batch, of its first record). Records read from files have none.
 */
export type FoldedPositions = Readonly<Record<string, number>>;

export interface SourceSnapshot {
  /** The pipeline layout the states belong to (FeaturePipeline.layout). */
  readonly layout: string;
  /** One state per source-scoped group, in the pipeline's order. */
  readonly states: readonly unknown[];
  /** Event time of the last event folded in, epoch ms. */
  readonly lastTs: number;
  /** The last Kafka record folded in, per partition; absent in snapshots of files (and of older releases). */
  readonly positions?: FoldedPositions;
}

/** What the store holds of a source: its latest snapshot and, if kept, the one before it. */
export interface StoredSource {
  readonly current: SourceSnapshot;
  readonly previous?: SourceSnapshot;
}

export interface SourceSnapshotEntry {
  readonly entity: string;
  readonly snapshot: SourceSnapshot;
  /**
   * Keep the stored current snapshot as `previous` (it holds only records before this one's
   * batch). Otherwise it is overwritten and `previous` stays: it was written by an attempt at
   * this very batch that never committed.
   */
  readonly retainCurrent?: boolean;
}

export interface SourceStateStoreOptions {
  /** Prepended to every key, so deployments and tests can share one server. */
  keyPrefix?: string;
  /** How long a snapshot lives after its last write, in ms. */
  ttlMs?: number;
}

export const SOURCE_STATE_DEFAULTS = Object.freeze({ keyPrefix: 'vigil:', ttlMs: 60 * 60 * 1000 });
export const SOURCE_STATE_FAMILY = 'source_state';

export type SourceStateOperation = 'load' | 'save';

/** A state store call failed; `retriable` says whether the same call may succeed later. */
export class SourceStateStoreError extends VigilError {
  readonly operation: SourceStateOperation;
  constructor(operation: SourceStateOperation, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(`source state ${operation}: ${message}`, options);
    this.operation = operation;
  }
}

export function resolveSourceStateOptions(options: SourceStateStoreOptions, storeName: string): Required<SourceStateStoreOptions> {
  const resolved = {
    keyPrefix: options.keyPrefix ?? SOURCE_STATE_DEFAULTS.keyPrefix,
    ttlMs: options.ttlMs ?? SOURCE_STATE_DEFAULTS.ttlMs,
  };
  if (typeof resolved.keyPrefix !== 'string') throw new ConfigError(`${storeName}: keyPrefix must be a string`);
  if (!Number.isSafeInteger(resolved.ttlMs) || resolved.ttlMs <= 0) {
    throw new ConfigError(`${storeName}: ttlMs must be a positive integer of ms, got ${String(resolved.ttlMs)}`);
  }
  return resolved;
}

export function sourceStateKey(keyPrefix: string, entity: string): string {
  return `${keyPrefix}${SOURCE_STATE_FAMILY}:${entity}`;
}

export function previousSourceStateKey(keyPrefix: string, entity: string): string {
  return `${keyPrefix}${SOURCE_STATE_FAMILY}_previous:${entity}`;
}

/** The key of a Kafka partition in `FoldedPositions`. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}[${partition}]`;
}

/**
 * Whether a state holding `folded` holds none of the records of a batch whose first offsets,
 * per partition, are `since`: on every partition both name, it stops before the batch.
 */
export function foldedBefore(folded: FoldedPositions | undefined, since: FoldedPositions): boolean {
  if (folded === undefined) return true;
  return Object.entries(since).every(([partition, first]) => {
    const last = folded[partition];
    return last === undefined || last < first;
  });
}

/**
 * The snapshot to continue a source from for a batch starting at `since`: the current one
 * unless it already folded some of the batch's records (an attempt that did not commit),
 * then the previous one; undefined if neither qualifies.
 */
export function snapshotBefore(stored: StoredSource | undefined, since: FoldedPositions): SourceSnapshot | undefined {
  if (stored === undefined) return undefined;
  if (foldedBefore(stored.current.positions, since)) return stored.current;
  if (stored.previous !== undefined && foldedBefore(stored.previous.positions, since)) return stored.previous;
  return undefined;
}

/** Snapshot text; numbers JSON cannot hold survive (exact-json.ts). */
export function encodeSnapshot(snapshot: SourceSnapshot): string {
  return stringifyExact(snapshot);
}

/** The snapshot in `text`, or a non-retriable error naming the key: a corrupt value is not retried away. */
export function decodeSnapshot(text: string, key: string): SourceSnapshot {
  let parsed: unknown;
  try {
    parsed = parseExact(text);
  } catch (cause) {
    throw new SourceStateStoreError('load', `${key} does not hold JSON`, { cause });
  }
  const s = parsed as Partial<SourceSnapshot> | null;
  if (s === null || typeof s !== 'object' || typeof s.layout !== 'string' || !Array.isArray(s.states) || typeof s.lastTs !== 'number') {
    throw new SourceStateStoreError('load', `${key} does not hold a source snapshot ({layout, states, lastTs})`);
  }
  if (s.positions !== undefined && !validPositions(s.positions)) {
    throw new SourceStateStoreError('load', `${key} holds positions that are not a map of partition to offset`);
  }
  return s as SourceSnapshot;
}

function validPositions(p: unknown): boolean {
  return p !== null && typeof p === 'object' && !Array.isArray(p) && Object.values(p).every((o) => Number.isSafeInteger(o));
}

/** The stored versions of a source from their texts (null: absent), or undefined without a current one. */
export function decodeStored(current: string | null, previous: string | null, keys: { current: string; previous: string }): StoredSource | undefined {
  if (current === null) return undefined;
  const decoded = decodeSnapshot(current, keys.current);
  return previous === null ? { current: decoded } : { current: decoded, previous: decodeSnapshot(previous, keys.previous) };
}
