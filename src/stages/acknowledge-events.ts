import type { RecordSource } from '../sources/record.js';
import type { EventBatch } from './event-batch.js';

/** Tells the source that everything up to the batch's last record is durable. */
export function acknowledgeEvents(source: RecordSource): (batch: EventBatch) => void {
  return (batch) => {
    if (batch.last) source.markDurable(batch.last);
  };
}
