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
 * Keys are `<keyPrefix>source_state:<ip>` and expire `ttlMs` after their last write: a
 * source idle that long has aged out of every windowed feature anyway.
 */
export interface SourceStateStore {
  /** Snapshots of `entities` (source IPs), in the order asked; undefined where absent or expired. */
  load(entities: readonly string[]): Promise<(SourceSnapshot | undefined)[]>;
  /** Writes each snapshot whole and restarts its TTL; one round trip for the batch. */
  save(entries: readonly SourceSnapshotEntry[]): Promise<void>;
}

export interface SourceSnapshot {
  /** The pipeline layout the states belong to (FeaturePipeline.layout). */
  readonly layout: string;
  /** One state per source-scoped group, in the pipeline's order. */
  readonly states: readonly unknown[];
  /** Event time of the last event folded in, epoch ms. */
  readonly lastTs: number;
}

export interface SourceSnapshotEntry {
  readonly entity: string;
  readonly snapshot: SourceSnapshot;
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
  return s as SourceSnapshot;
}
