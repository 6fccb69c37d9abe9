import type { BadInput } from '../sources/record.js';

export interface DeadLetterSink {
  write(items: readonly BadInput[]): Promise<void>;
}

/** Sends a batch's bad input to the dead-letter output before the batch moves on. */
export function routeBadInput(dlq: DeadLetterSink): <B extends { bad: BadInput[] }>(batch: B) => Promise<B> {
  return async (batch) => {
    if (batch.bad.length > 0) await dlq.write(batch.bad);
    return batch;
  };
}
