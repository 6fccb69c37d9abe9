import type { InputEvent } from '../sources/file-source.js';
import type { Decoder, RawRecord } from '../sources/record.js';
import type { EventBatch } from './event-batch.js';

/**
 * Decodes a micro-batch into events of any kind and bad input (never throws on input). In
 * record order: the sshd decoder is stateful across the lines of an input.
 */
export function decodeEvents(decoder: Decoder<InputEvent>): (records: RawRecord[]) => EventBatch {
  return (records) => {
    const batch: EventBatch = { size: records.length, last: records.at(-1)?.position ?? null, accepted: [], bad: [] };
    for (const record of records) {
      const decoded = decoder.decode(record);
      if (decoded.ok) batch.accepted.push({ event: decoded.value, position: decoded.position, readAt: decoded.readAt });
      else batch.bad.push({ position: decoded.position, reason: decoded.reason, raw: decoded.raw });
    }
    return batch;
  };
}
