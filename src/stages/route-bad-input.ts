import type { BadInput } from '../sources/record.js';
import type { FlowBatch } from './flow-batch.js';

export interface DeadLetterSink {
  write(items: readonly BadInput[]): Promise<void>;
}

/** Sends a batch's bad input to the dead-letter output before the batch moves on. */
export function routeBadInput(dlq: DeadLetterSink): (batch: FlowBatch) => Promise<FlowBatch> {
  return async (batch) => {
    if (batch.bad.length > 0) await dlq.write(batch.bad);
    return batch;
  };
}
