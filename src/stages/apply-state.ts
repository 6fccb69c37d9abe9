import { baselineUpdate } from '../aggregate/baseline-features.js';
import type { Position } from '../sources/record.js';
import type { OnlineStore, SourcePosition } from '../store/online-store.js';
import type { FlowBatch } from './flow-batch.js';

/**
 * The store position of a record: its Kafka partition and offset, or, for a file, partition 0
 * and its line. The store keeps positions per partition number only, so effectively-once
 * state needs one input topic (serve settings check that).
 */
export function statePosition(p: Position): SourcePosition {
  return p.kind === 'kafka' ? { partition: p.partition, offset: Number(p.offset) } : { partition: 0, offset: p.line };
}

/**
 * Folds each accepted flow into its source IP's baseline (one update per record, with the
 * record's own position) in one `applyBatch` call. A record the group delivers again after a
 * crash is skipped by the store, so state counts every record once whatever the delivery of
 * verdicts; this runs before the batch's outputs commit, so a redelivered batch always finds
 * its state already written.
 */
export function applyState(store: OnlineStore): (batch: FlowBatch) => Promise<FlowBatch> {
  return async (batch) => {
    if (batch.accepted.length === 0) return { ...batch, state: { applied: 0, skipped: 0 } };
    const state = await store.applyBatch(batch.accepted.map(({ event, position }) => baselineUpdate(event, statePosition(position))));
    return { ...batch, state };
  };
}
