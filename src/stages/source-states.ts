import type { FeaturePipeline } from '../features/pipeline.js';
import type { SourceStateStore } from '../store/source-state-store.js';
import type { EventBatch } from './event-batch.js';

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
 */
export interface SourceStateCounters {
  /** Sources restored from the store. */
  restored: number;
  /** Sources the store did not have: started afresh. */
  fresh: number;
  /** Snapshots of another pipeline layout, ignored: started afresh. */
  layoutMismatch: number;
  /** Source snapshots written. */
  saved: number;
  /** Sources dropped from memory as idle. */
  evicted: number;
  /** Sources dropped from memory because their ownership may have moved (a rebalance). */
  released: number;
}

export function sourceStateCounters(): SourceStateCounters {
  return { restored: 0, fresh: 0, layoutMismatch: 0, saved: 0, evicted: 0, released: 0 };
}

function sourcesOf(batch: EventBatch): string[] {
  return [...new Set(batch.accepted.map((a) => a.event.srcIp))];
}

export function restoreSourceStates(store: SourceStateStore, pipeline: FeaturePipeline, counters: SourceStateCounters): (batch: EventBatch) => Promise<EventBatch> {
  return async (batch) => {
    const missing = sourcesOf(batch).filter((ip) => !pipeline.holds(ip));
    const snapshots = await store.load(missing);
    missing.forEach((ip, i) => {
      const snapshot = snapshots[i];
      if (snapshot === undefined) counters.fresh++;
      else if (snapshot.layout !== pipeline.layout) counters.layoutMismatch++;
      else {
        pipeline.restore(ip, { states: snapshot.states, lastTs: snapshot.lastTs });
        counters.restored++;
      }
    });
    return batch;
  };
}

/**
 * Before restoreSourceStates, when several processes share the sources (a consumer group):
 * `ownership` changes whenever this process's share may have moved (a rebalance). A process
 * that lost a partition and got it back would otherwise continue its sources from its own
 * stale copy, missing what the other member stepped meanwhile; so on a change every held
 * source is dropped, and the batch's sources are restored from the store.
 */
export function releaseSourcesOnRebalance(pipeline: FeaturePipeline, ownership: () => number, counters: SourceStateCounters): (batch: EventBatch) => EventBatch {
  let seen = ownership();
  return (batch) => {
    const now = ownership();
    if (now !== seen) {
      seen = now;
      counters.released += pipeline.releaseAll().length;
    }
    return batch;
  };
}

export function saveSourceStates(store: SourceStateStore, pipeline: FeaturePipeline, counters: SourceStateCounters): (batch: EventBatch) => Promise<EventBatch> {
  return async (batch) => {
    const entries = sourcesOf(batch).flatMap((ip) => {
      const held = pipeline.source(ip);
      return held ? [{ entity: ip, snapshot: { layout: pipeline.layout, states: held.states, lastTs: held.lastTs } }] : [];
    });
    await store.save(entries);
    counters.saved += entries.length;
    return batch;
  };
}

/**
 * Drops sources idle for more than `idleMs` before the batch's newest event. Without a store
 * give the store's TTL (their windows have aged out by then, as a Redis key would have
 * expired); with one, less: the store keeps what memory lets go.
 */
export function evictIdleSources(pipeline: FeaturePipeline, idleMs: number, counters: SourceStateCounters): (batch: EventBatch) => EventBatch {
  return (batch) => {
    const newest = batch.accepted.reduce((m, a) => Math.max(m, a.event.ts), -Infinity);
    if (Number.isFinite(newest)) counters.evicted += pipeline.evictIdle(newest, idleMs).length;
    return batch;
  };
}
