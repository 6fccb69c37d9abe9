import type { Verdict } from '../events/verdict.js';
import { V2_DIMS } from '../features/vector-v2.js';
import type { FeatureVectorRow, OfflineStore } from '../store/offline-store.js';
import type { EventBatch } from './event-batch.js';

/**
 * Appends what was scored to the offline store before the batch is acknowledged: the v2
 * vector each flow was scored from (`feature_vectors`, the row the training collector joins a
 * later label with) and its verdict (`verdicts`). One insert per table per batch.
 */
export function recordScoredVectors(offline: OfflineStore): (batch: EventBatch) => Promise<EventBatch> {
  return async (batch) => {
    const vectors = batch.vectors ?? new Float64Array(0);
    const rows: FeatureVectorRow[] = [];
    const verdicts: Verdict[] = [];
    batch.verdicts?.forEach((verdict, i) => {
      if (verdict === undefined) return;
      const event = batch.accepted[i]!.event;
      rows.push({ key: event.srcIp, ts: event.ts, eventId: event.eventId, featureVersion: 2, vector: vectors.subarray(i * V2_DIMS, (i + 1) * V2_DIMS), modelVersion: verdict.modelVersion, verdictClass: verdict.class });
      verdicts.push(verdict);
    });
    if (rows.length > 0) await Promise.all([offline.insertFeatureVectors(rows), offline.insertVerdicts(verdicts)]);
    return batch;
  };
}
