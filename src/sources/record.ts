/**
 * Where a record came from. Every source says it, so that results can be acknowledged
 * (a file line, or later a Kafka offset) and bad input can be traced back.
 */
export type Position =
  | { kind: 'file'; file: string; line: number }
  | { kind: 'kafka'; topic: string; partition: number; offset: string };

export function formatPosition(p: Position): string {
  return p.kind === 'file' ? `${p.file}:${p.line}` : `${p.topic}[${p.partition}]@${p.offset}`;
}

/** One undecoded record as a source read it. `oversize` records carry only the head of the input. */
export interface RawRecord {
  position: Position;
  text: string;
  byteLength: number;
  oversize?: boolean;
  /** performance.now() when the record was read: the start of its latency. */
  readAt: number;
}

/** A record that could not become an event: routed to the dead-letter output, never thrown. */
export interface BadInput {
  position: Position;
  reason: string;
  raw: string;
}

export type Decoded<T> = { ok: true; value: T; position: Position; readAt: number } | ({ ok: false } & BadInput);

/** Turns raw records of one input into events. Built once per input, from its header if any. */
export interface Decoder<T> {
  readonly format: string;
  decode(record: RawRecord): Decoded<T>;
}

/**
 * A source of raw records, read in micro-batches. `markDurable` is called with the last
 * position of a batch once everything that batch produced (verdicts, DLQ lines, state) is
 * written: a file source records it as its checkpoint; a Kafka source commits the offset.
 */
export interface RecordSource {
  readonly name: string;
  batches(options: { maxSize: number; maxWaitMs: number }): AsyncIterable<RawRecord[]>;
  markDurable(last: Position): void;
  /**
   * Resolves once what was marked durable up to `last` is committed where a restart resumes
   * from (a Kafka group's offsets), retrying failed commits, or once it never will be by
   * this reader (its partition moved to another member, or the source stopped).
   * Absent: durability is all there is (a file's checkpoint). A stage that must not run
   * ahead of the commits awaits it: feature-state snapshots keep one version back, which
   * covers one uncommitted batch (store/source-state-store.ts).
   */
  committed?(last: Position): Promise<void>;
}
