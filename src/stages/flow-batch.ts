import type { FlowEvent } from '../events/flow-event.js';
import type { BadInput, Position } from '../sources/record.js';
import type { Verdict } from '../events/verdict.js';

/** An event that decoded cleanly, with what the pipeline needs to trace and time it. */
export interface AcceptedEvent {
  event: FlowEvent;
  position: Position;
  readAt: number;
}

/**
 * One micro-batch as it moves through the detect topology. Each stage returns a new batch
 * with its own field filled in, so a stage's inputs and outputs are visible in its type.
 */
export interface FlowBatch {
  /** Records read, good and bad. */
  size: number;
  /** Position of the batch's last record: acknowledged once the batch's results are durable. */
  last: Position | null;
  accepted: AcceptedEvent[];
  bad: BadInput[];
  /** Raw sanitized feature rows, flat (accepted.length × dims). */
  vectors?: Float32Array;
  verdicts?: Verdict[];
}
