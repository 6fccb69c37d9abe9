import type { BadInput, Position } from '../sources/record.js';

/** An event that decoded cleanly, with what the pipeline needs to trace and time it. */
export interface Accepted<E> {
  event: E;
  position: Position;
  readAt: number;
}

/**
 * A micro-batch after decoding: what every topology starts from. Topologies extend it with
 * the fields their later stages fill in (FlowBatch: vectors and verdicts; EventBatch: v2
 * vectors), so a stage's inputs and outputs are visible in its type.
 */
export interface DecodedBatch<E> {
  /** Records read, good and bad. */
  size: number;
  /** Position of the batch's last record: acknowledged once the batch's results are durable. */
  last: Position | null;
  accepted: Accepted<E>[];
  bad: BadInput[];
}
