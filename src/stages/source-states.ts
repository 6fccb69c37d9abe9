import type { FeaturePipeline } from '../features/pipeline.js';
import { foldedBefore, snapshotBefore, type SourceSnapshotEntry, type SourceStateStore } from '../store/source-state-store.js';
import type { Position } from '../sources/record.js';
import type { EventBatch } from './event-batch.js';
import { advance, batchSpans, HeldPositions, spanOf } from './held-positions.js';

/**
 * The features topology's use of the feature-state store, around `featurize`:
 *
 *   restoreSourceStates ──▶ featurize ──▶ saveSourceStates
 *
 * Before: sources of the batch whose states this process does not hold are loaded (one
 * round trip) and restored, so a source continues where it stopped whichever process saw it
 * last. After: the states of every source the batch touched are saved (one round trip).
 * Then `evictIdleSources` drops from memory the sources idle longer than its limit of event
 * time; with a store their states stay there until its TTL.
 *
 * Effectively once: each snapshot carries the Kafka offsets folded into it, and a source is
 * restored from the newest snapshot holding none of the batch's records (the store keeps one
 * back: source-state-store.ts). A batch read again after a crash, or after a rebalance made
 * it stale, thus starts from the state before its first attempt, and gives the same states.
 */
export interface SourceStateCounters {
  /** Sources restored from the store. */
  restored: number;
  /**
   * Sources whose current snapshot held records delivered again (an attempt that did not
   * commit): continued from the previous snapshot, or, if there was none, from nothing.
   */
  rewound: number;
  /** Of those, sources whose previous snapshot held such records too: started afresh, history lost. */
  lost: number;
  /**
   * Sources whose records arrived on a second partition (records not keyed by source IP, or
   * several input topics): the rewind compares only the partitions of the batch at hand, so
   * their states are not effectively once.
   */
  split: number;
  /** Sources whose snapshots were not saved: the group reads their records again (a rebalance). */
  staleSkipped: number;
  /** Sources the store had no snapshot of (none, or none before the batch): started afresh. */
  fresh: number;
  /** Snapshots of another pipeline layout, ignored: started afresh. */
  layoutMismatch: number;
  /** Source snapshots written. */
  saved: number;
  /** Sources dropped from memory as idle. */
  evicted: number;
  /** Sources dropped from memory because their ownership may have moved (a rebalance). */
  released: number;
  /** Batches dropped as stale at their settle, undone in the pipeline (settle-batch.ts). */
  undoneBatches: number;
}

export function sourceStateCounters(): SourceStateCounters {
  return { restored: 0, rewound: 0, lost: 0, split: 0, staleSkipped: 0, fresh: 0, layoutMismatch: 0, saved: 0, evicted: 0, released: 0, undoneBatches: 0 };
}

/** What the state stages share: the pipeline holding the states, their positions, the counts. */
export interface HeldSources {
  readonly pipeline: FeaturePipeline;
  readonly positions: HeldPositions;
  readonly counters: SourceStateCounters;
}

export function heldSources(pipeline: FeaturePipeline, counters: SourceStateCounters = sourceStateCounters()): HeldSources {
  return { pipeline, positions: new HeldPositions(), counters };
}

function sourcesOf(batch: EventBatch): string[] {
  return [...new Set(batch.accepted.map((a) => a.event.srcIp))];
}

export function restoreSourceStates(store: SourceStateStore, held: HeldSources): (batch: EventBatch) => Promise<EventBatch> {
  const { pipeline, positions, counters } = held;
  return async (batch) => {
    const missing = sourcesOf(batch).filter((ip) => !pipeline.holds(ip));
    if (missing.length === 0) return batch;
    const stored = await store.load(missing);
    const spans = batchSpans(batch.accepted);
    missing.forEach((ip, i) => {
      const versions = stored[i];
      const snapshot = snapshotBefore(versions, spanOf(spans, ip).first);
      if (versions !== undefined && snapshot !== versions.current) {
        counters.rewound++;
        if (snapshot === undefined && versions.previous !== undefined) counters.lost++;
      }
      if (snapshot === undefined) counters.fresh++;
      else if (snapshot.layout !== pipeline.layout) counters.layoutMismatch++;
      else {
        pipeline.restore(ip, { states: snapshot.states, lastTs: snapshot.lastTs });
        counters.restored++;
      }
      const folded = snapshot !== undefined && snapshot.layout === pipeline.layout ? (snapshot.positions ?? {}) : {};
      positions.restored(ip, folded, versions?.current.positions);
    });
    return batch;
  };
}

/**
 * Before restoreSourceStates, when several processes share the sources (a consumer group):
 * its join count changes whenever this process's share may have moved (a rebalance). A
 * process that lost a partition and got it back would otherwise continue its sources from its
 * own stale copy, missing what the other member stepped meanwhile; so on a change every held
 * source is dropped, and the batch's sources are restored from the store.
 */
export function releaseSourcesOnRebalance(held: HeldSources, group: Pick<GroupMembership, 'stats'>): (batch: EventBatch) => EventBatch {
  let seen = group.stats().groupJoins;
  return (batch) => {
    const now = group.stats().groupJoins;
    if (now !== seen) {
      seen = now;
      const released = held.pipeline.releaseAll();
      held.positions.forget(released);
      held.counters.released += released.length;
    }
    return batch;
  };
}

/**
 * What the state stages need of the consumer group a source reads in (a KafkaSource is one):
 * when ownership may have moved, and which records the group will read again.
 */
export interface GroupMembership {
  stats(): { readonly groupJoins: number };
  /** Which records of the batch ending at `last` the group will read again (KafkaSource.readAgain). */
  readAgain(last: Position): (position: Position) => boolean;
}

/**
 * After featurize. With a `group`: a source with a record the group will read again (a
 * rebalance made the batch stale, or moved the partition), maybe on another member which
 * may have loaded the source already, gets no snapshot written, so that member's is not
 * overwritten, and leaves memory here, so that this member too continues it from the store
 * if its records come here again.
 */
export function saveSourceStates(store: SourceStateStore, held: HeldSources, group?: Pick<GroupMembership, 'readAgain'>): (batch: EventBatch) => Promise<EventBatch> {
  const { pipeline, positions, counters } = held;
  return async (batch) => {
    const isReadAgain = batch.last === null ? undefined : group?.readAgain(batch.last);
    const skipped = new Set(isReadAgain ? batch.accepted.filter((a) => isReadAgain(a.position)).map((a) => a.event.srcIp) : []);
    const dropped = [...skipped].filter((ip) => pipeline.forget(ip));
    positions.forget(dropped);
    counters.staleSkipped += skipped.size;
    const spans = batchSpans(batch.accepted);
    const entries: SourceSnapshotEntry[] = [];
    for (const ip of sourcesOf(batch)) {
      if (skipped.has(ip)) continue;
      const state = pipeline.source(ip);
      if (state === undefined) continue;
      const span = spanOf(spans, ip);
      const before = positions.folded(ip);
      const folded = advance(before, span.last);
      if (Object.keys(before).length <= 1 && Object.keys(folded).length > 1) counters.split++;
      entries.push({
        entity: ip,
        snapshot: { layout: pipeline.layout, states: state.states, lastTs: state.lastTs, positions: folded },
        // The stored snapshot holds none of this batch's records: it is the one to rewind to.
        retainCurrent: foldedBefore(positions.stored(ip), span.first),
      });
    }
    await store.save(entries);
    for (const e of entries) positions.saved(e.entity, e.snapshot.positions ?? {});
    counters.saved += entries.length;
    return batch;
  };
}

/**
 * Drops sources idle for more than `idleMs` before the batch's newest event. Without a store
 * give the store's TTL (their windows have aged out by then, as a Redis key would have
 * expired); with one, less: the store keeps what memory lets go.
 */
export function evictIdleSources(held: HeldSources, idleMs: number): (batch: EventBatch) => EventBatch {
  return (batch) => {
    const newest = batch.accepted.reduce((m, a) => Math.max(m, a.event.ts), -Infinity);
    if (!Number.isFinite(newest)) return batch;
    const evicted = held.pipeline.evictIdle(newest, idleMs);
    held.positions.forget(evicted);
    held.counters.evicted += evicted.length;
    return batch;
  };
}
