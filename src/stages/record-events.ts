import { eventRow } from '../store/event-rows.js';
import type { OfflineStore } from '../store/offline-store.js';
import type { EventBatch } from './event-batch.js';

/**
 * Appends the batch's events to the offline store's `events` table (one insert per batch)
 * before the batch is acknowledged, so every event the stream featurized can be replayed by
 * a backfill.
 */
export function recordEvents(offline: OfflineStore): (batch: EventBatch) => Promise<EventBatch> {
  return async (batch) => {
    if (batch.accepted.length > 0) await offline.insertEvents(batch.accepted.map((a) => eventRow(a.event)));
    return batch;
  };
}
