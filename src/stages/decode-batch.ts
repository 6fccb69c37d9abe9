import type { FlowEvent } from '../events/flow-event.js';
import type { Decoder, RawRecord } from '../sources/record.js';
import type { FlowBatch } from './flow-batch.js';

/** Decodes a micro-batch of raw records, splitting events from bad input (never throws on input). */
export function decodeBatch(decoder: Decoder<FlowEvent>): (records: RawRecord[]) => FlowBatch {
  return (records) => {
    const batch: FlowBatch = { size: records.length, last: records.at(-1)?.position ?? null, accepted: [], bad: [] };
    for (const record of records) {
      const decoded = decoder.decode(record);
      if (decoded.ok) batch.accepted.push({ event: decoded.value, position: decoded.position, readAt: decoded.readAt });
      else batch.bad.push({ position: decoded.position, reason: decoded.reason, raw: decoded.raw });
    }
    return batch;
  };
}
