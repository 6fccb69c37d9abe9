import type { Position, RecordSource } from '../sources/record.js';

/** Tells the source that everything up to the batch's last record is durable. */
export function acknowledge(source: RecordSource): (batch: { last: Position | null }) => void {
  return (batch) => {
    if (batch.last) source.markDurable(batch.last);
  };
}
