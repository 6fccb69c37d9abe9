import type { FlowEvent } from '../events/flow-event.js';
import type { Verdict } from '../events/verdict.js';
import type { ApplyBatchResult } from '../store/online-store.js';
import type { Accepted, DecodedBatch } from './decoded-batch.js';

export type AcceptedEvent = Accepted<FlowEvent>;

/** One micro-batch of the detect topology. */
export interface FlowBatch extends DecodedBatch<FlowEvent> {
  /** Raw sanitized feature rows, flat (accepted.length × dims). */
  vectors?: Float32Array;
  verdicts?: Verdict[];
  /** What the online store did with the batch's state updates (applied, skipped as already seen). */
  state?: ApplyBatchResult;
}
