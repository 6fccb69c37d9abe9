import type { Verdict } from '../events/verdict.js';
import { FLOW_FEATURE_COUNT } from '../features/flow-features.js';
import { V2_DIMS, writeV2FlowPart } from '../features/vector-v2.js';
import type { FeatureVectorRow, OfflineStore } from '../store/offline-store.js';
import type { EventBatch } from './event-batch.js';
import type { FlowBatch } from './flow-batch.js';

/**
 * Appends what was scored to the offline store before the batch is acknowledged: the vector
 * each flow was scored from (`feature_vectors`, the row the training collector joins a later
 * label with) and its verdict (`verdicts`). One insert per table per batch.
 */
interface ScoredBatch {
  accepted: readonly { event: { eventId: string; srcIp: string; ts: number } }[];
  verdicts?: readonly (Verdict | undefined)[];
}

function recordScored<B extends ScoredBatch>(offline: OfflineStore, vectorOf: (batch: B, i: number) => { featureVersion: number; vector: ArrayLike<number> }): (batch: B) => Promise<B> {
  return async (batch) => {
    const rows: FeatureVectorRow[] = [];
    const verdicts: Verdict[] = [];
    batch.verdicts?.forEach((verdict, i) => {
      if (verdict === undefined) return;
      const event = batch.accepted[i]!.event;
      rows.push({ key: event.srcIp, ts: event.ts, eventId: event.eventId, ...vectorOf(batch, i), modelVersion: verdict.modelVersion, verdictClass: verdict.class });
      verdicts.push(verdict);
    });
    if (rows.length > 0) await Promise.all([offline.insertFeatureVectors(rows), offline.insertVerdicts(verdicts)]);
    return batch;
  };
}

/** Features topology: the flow's v2 vector (the model took its projection). */
export function recordScoredVectors(offline: OfflineStore): (batch: EventBatch) => Promise<EventBatch> {
  return recordScored<EventBatch>(offline, (batch, i) => ({ featureVersion: 2, vector: batch.vectors!.subarray(i * V2_DIMS, (i + 1) * V2_DIMS) }));
}

/**
 * Detect topology: the v1 vector the model scored. The store keeps only finite numbers, so a
 * missing feature is written as v2 writes it, min - 1: below the feature's minimum, which v1's
 * missing rule reads back as missing (projectVector re-applies it), so nothing is lost.
 */
export function recordScoredFlows(offline: OfflineStore): (batch: FlowBatch) => Promise<FlowBatch> {
  return recordScored<FlowBatch>(offline, (batch, i) => {
    const vector = new Float64Array(FLOW_FEATURE_COUNT);
    writeV2FlowPart(batch.vectors!.subarray(i * FLOW_FEATURE_COUNT, (i + 1) * FLOW_FEATURE_COUNT), vector);
    return { featureVersion: 1, vector };
  });
}
