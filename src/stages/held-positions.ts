import { partitionKey, type FoldedPositions } from '../store/source-state-store.js';
import type { AcceptedInputEvent } from './event-batch.js';

/** A source's records in one batch: the first and last Kafka offset of each partition. */
export interface BatchSpan {
  readonly first: FoldedPositions;
  readonly last: FoldedPositions;
}

const NO_SPAN: BatchSpan = Object.freeze({ first: Object.freeze({}), last: Object.freeze({}) });

/**
 * Each source's span in a batch, keyed by source IP; a source whose records came from files
 * has an empty span (files are not redelivered: their checkpoint is the line).
 */
export function batchSpans(accepted: readonly AcceptedInputEvent[]): Map<string, BatchSpan> {
  const spans = new Map<string, { first: Record<string, number>; last: Record<string, number> }>();
  for (const { event, position } of accepted) {
    let span = spans.get(event.srcIp);
    if (span === undefined) spans.set(event.srcIp, (span = { first: {}, last: {} }));
    if (position.kind !== 'kafka') continue;
    const key = partitionKey(position.topic, position.partition);
    const offset = Number(position.offset);
    span.first[key] = Math.min(span.first[key] ?? offset, offset);
    span.last[key] = Math.max(span.last[key] ?? offset, offset);
  }
  return spans;
}

export function spanOf(spans: ReadonlyMap<string, BatchSpan>, ip: string): BatchSpan {
  return spans.get(ip) ?? NO_SPAN;
}

/**
 * The Kafka positions behind each source state held in memory: `folded`, the last offset per
 * partition in the state itself; `stored`, the same for the snapshot the store holds as
 * current. They differ only after a rewind (the state was restored from the previous
 * snapshot because the current one holds records being delivered again): the next save must
 * then overwrite the current snapshot rather than keep it as the previous one.
 */
export class HeldPositions {
  readonly #held = new Map<string, { folded: FoldedPositions; stored: FoldedPositions | undefined }>();

  /** A source restored (or started afresh) from what the store holds. */
  restored(ip: string, folded: FoldedPositions, stored: FoldedPositions | undefined): void {
    this.#held.set(ip, { folded, stored });
  }

  /** A source's snapshot written with `folded`: it is now the store's current one. */
  saved(ip: string, folded: FoldedPositions): void {
    this.#held.set(ip, { folded, stored: folded });
  }

  folded(ip: string): FoldedPositions {
    return this.#held.get(ip)?.folded ?? {};
  }

  stored(ip: string): FoldedPositions | undefined {
    return this.#held.get(ip)?.stored;
  }

  /** Sources no longer held in memory (evicted, released). */
  forget(ips: readonly string[]): void {
    for (const ip of ips) this.#held.delete(ip);
  }
}

/** `folded` advanced by a batch's last offsets. */
export function advance(folded: FoldedPositions, last: FoldedPositions): FoldedPositions {
  return Object.keys(last).length === 0 ? folded : { ...folded, ...last };
}
