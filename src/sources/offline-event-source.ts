import { performance } from 'node:perf_hooks';
import { eventOfRow } from '../store/event-rows.js';
import type { OfflineStore, ScanRange } from '../store/offline-store.js';
import type { InputEvent } from './file-source.js';
import type { Decoded, Decoder, Position, RawRecord, RecordSource } from './record.js';

/**
 * A backfill's source: the offline store's `events` table replayed in its scan order (ts,
 * then key, then event id), as records the features topology reads like any other. A
 * record's position is its rank in the replay (`<name>:<n>`, 1-based), so bad rows are traced
 * like bad lines of a file. The record text is the row's kind, a newline, then its payload
 * (kinds have no newline), which is all the decoder needs to check the row.
 */
export interface OfflineEventSource extends RecordSource {
  /** Rank of the last record whose results are durable (0 before any). */
  readonly durableRank: number;
}

export function openOfflineEventSource(store: OfflineStore, options: { name: string; range?: ScanRange }): OfflineEventSource {
  let durableRank = 0;
  const name = options.name;
  return {
    name,
    get durableRank() {
      return durableRank;
    },
    async *batches({ maxSize }) {
      let rank = 0;
      for await (const rows of store.scan('events', options.range ?? {}, { batchSize: maxSize })) {
        const readAt = performance.now();
        yield rows.map((row): RawRecord => {
          const text = `${row.kind}\n${row.payload}`;
          return { position: { kind: 'file', file: name, line: ++rank }, text, byteLength: Buffer.byteLength(text), readAt };
        });
      }
    },
    markDurable(last: Position) {
      if (last.kind === 'file' && last.file === name) durableRank = last.line;
    },
  };
}

export function createOfflineEventDecoder(): Decoder<InputEvent> {
  return {
    format: 'offline-events',
    decode(record: RawRecord): Decoded<InputEvent> {
      const cut = record.text.indexOf('\n');
      const decoded = eventOfRow(record.text.slice(cut + 1), record.text.slice(0, cut));
      return decoded.ok
        ? { ok: true, value: decoded.event, position: record.position, readAt: record.readAt }
        : { ok: false, position: record.position, reason: `bad-event-row: ${decoded.reason}`, raw: record.text };
    },
  };
}
