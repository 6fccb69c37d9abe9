import type { Position, RecordSource } from '../sources/record.js';

/** Tells the source that everything up to the batch's last record is durable. */
export function acknowledge(source: RecordSource): (batch: { last: Position | null }) => void {
  return (batch) => {
    if (batch.last) source.markDurable(batch.last);
  };
}

/**
 * Like acknowledge, then waits for the source to commit: the next batch starts only once the
 * group would resume after this one. The feature-state snapshots need it (one version back
 * covers one uncommitted batch); a source without commits (files) goes on at once.
 */
export function acknowledgeCommitted(source: RecordSource): (batch: { last: Position | null }) => Promise<void> {
  return async (batch) => {
    if (!batch.last) return;
    source.markDurable(batch.last);
    await source.committed?.(batch.last);
  };
}
