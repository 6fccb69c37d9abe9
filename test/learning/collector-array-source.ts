/**
 * A RecordSource over an array of lines, as a file of JSON lines would give them: our own
 * interface, implemented plainly so the collector's batching and acknowledgement are visible.
 */
import type { Position, RawRecord, RecordSource } from '../../src/sources/record.js';

export interface ArraySource extends RecordSource {
  /** Every markDurable call, in order. */
  readonly acknowledged: Position[];
}

export interface ArraySourceOptions {
  /** Called inside markDurable, to look at what is durable at that moment. */
  onDurable?: (last: Position) => void;
  /** After the lines, wait for more (forever) instead of ending, like a live topic. */
  endless?: boolean;
}

export function arraySource(lines: readonly string[], options: ArraySourceOptions = {}): ArraySource {
  const acknowledged: Position[] = [];
  const records: RawRecord[] = lines.map((text, i) => ({
    position: { kind: 'file', file: 'labels.jsonl', line: i + 1 },
    text,
    byteLength: Buffer.byteLength(text),
    readAt: performance.now(),
  }));
  return {
    name: 'array:labels.jsonl',
    acknowledged,
    async *batches({ maxSize }) {
      for (let i = 0; i < records.length; i += maxSize) yield records.slice(i, i + maxSize);
      if (options.endless) await new Promise<never>(() => {});
    },
    markDurable(last) {
      options.onDurable?.(last);
      acknowledged.push(last);
    },
  };
}
