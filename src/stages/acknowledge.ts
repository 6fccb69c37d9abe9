import type { RecordSource } from '../sources/record.js';
import type { FlowBatch } from './flow-batch.js';

/** Tells the source that everything up to the batch's last record is durable. */
export function acknowledge(source: RecordSource): (batch: FlowBatch) => void {
  return (batch) => {
    if (batch.last) source.markDurable(batch.last);
  };
}
