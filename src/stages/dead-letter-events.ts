import type { EventBatch } from './event-batch.js';
import type { DeadLetterSink } from './route-bad-input.js';

/** Sends a batch's bad input to the dead-letter output before the batch moves on. */
export function deadLetterEvents(dlq: DeadLetterSink): (batch: EventBatch) => Promise<EventBatch> {
  return async (batch) => {
    if (batch.bad.length > 0) await dlq.write(batch.bad);
    return batch;
  };
}
