import type { InputEvent } from '../sources/file-source.js';
import type { BadInput, Position } from '../sources/record.js';

/** An event of any kind that decoded cleanly, with where it came from and when it was read. */
export interface AcceptedInputEvent {
  event: InputEvent;
  position: Position;
  readAt: number;
}

/**
 * One micro-batch of the features topology: like FlowBatch (flow-batch.ts), but its events
 * may be flows or security events, and it ends in v2 feature vectors instead of verdicts.
 */
export interface EventBatch {
  /** Records read, good and bad. */
  size: number;
  /** Position of the batch's last record: acknowledged once the batch's results are durable. */
  last: Position | null;
  accepted: AcceptedInputEvent[];
  bad: BadInput[];
  /** Feature-version-2 vectors, flat (accepted.length × 100), all finite. */
  vectors?: Float64Array;
}
