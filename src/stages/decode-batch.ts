import type { Decoder, RawRecord } from '../sources/record.js';
import type { DecodedBatch } from './decoded-batch.js';

/**
 * Decodes a micro-batch, splitting events from bad input (never throws on input). In record
 * order: some decoders (sshd syslog) carry state from one line to the next.
 */
export function decodeBatch<E>(decoder: Decoder<E>): (records: RawRecord[]) => DecodedBatch<E> {
  return (records) => {
    const batch: DecodedBatch<E> = { size: records.length, last: records.at(-1)?.position ?? null, accepted: [], bad: [] };
    for (const record of records) {
      const decoded = decoder.decode(record);
      if (decoded.ok) batch.accepted.push({ event: decoded.value, position: decoded.position, readAt: decoded.readAt });
      else batch.bad.push({ position: decoded.position, reason: decoded.reason, raw: decoded.raw });
    }
    return batch;
  };
}
