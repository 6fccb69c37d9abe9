/**
 * Record values in a wire format (json, avro, confluent-avro) for one Avro type: an encoder
 * for producers, and the Avro half of decoders. The branch on the format is taken once, when
 * the codec is built, not per record.
 */
import type avro from 'avsc';
import { schemaViolation } from '../events/flow-event.js';
import type { Decoded, Decoder, RawRecord } from '../sources/record.js';
import { frameConfluent, unframeConfluent } from './confluent-frame.js';
import { KafkaEncodeError } from './errors.js';
import { recordBytes, type RawTextEncoding } from './kafka-record.js';
import type { ValueFormat } from './settings.js';

/** How the text of records in `format` is derived from their bytes (see KafkaRawRecord). */
export function rawTextEncoding(format: ValueFormat): RawTextEncoding {
  return format.type === 'json' ? 'utf8' : 'base64';
}

/**
 * An encoder of `type`'s values in `format`. A value that does not fit the schema throws a
 * KafkaEncodeError naming the offending fields: producing it would write a record no reader
 * can decode. JSON is checked against the same schema, so both formats refuse the same values.
 */
export function createValueEncoder<T>(type: avro.Type, format: ValueFormat, what: string): (value: T) => Buffer {
  const check = (value: T): void => {
    if (!type.isValid(value)) {
      throw new KafkaEncodeError(`${what} does not fit its Avro schema: ${schemaViolation(type, value) ?? 'invalid'}`);
    }
  };
  switch (format.type) {
    case 'json':
      return (value) => {
        check(value);
        return Buffer.from(JSON.stringify(value), 'utf8');
      };
    case 'avro':
      return (value) => {
        check(value);
        return type.toBuffer(value);
      };
    case 'confluent-avro': {
      const { schemaId } = format;
      if (schemaId === undefined) throw new KafkaEncodeError(`${what}: producing confluent-avro needs format.schemaId`);
      return (value) => {
        check(value);
        return frameConfluent(schemaId, type.toBuffer(value));
      };
    }
  }
}

export type AvroRead<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Reads one Avro value from `bytes`. Truncated records, trailing bytes and anything avsc
 * refuses become a "bad-avro" reason, never an exception: bad input is data, not a crash.
 */
export function readAvro<T>(type: avro.Type, bytes: Buffer): AvroRead<T> {
  try {
    const { value, offset } = type.decode(bytes, 0);
    if (offset < 0) return { ok: false, reason: `bad-avro: truncated, ${bytes.length} bytes do not hold a whole ${type.name ?? 'record'}` };
    if (offset !== bytes.length) return { ok: false, reason: `bad-avro: ${bytes.length - offset} trailing bytes after a ${type.name ?? 'record'}` };
    return { ok: true, value: value as T };
  } catch (err) {
    return { ok: false, reason: `bad-avro: ${(err as Error).message}` };
  }
}

/**
 * A Decoder for records holding `type` in `format` ('avro' or 'confluent-avro'). `check`
 * adds the rules a schema cannot say (a known protocol, a valid IP) and returns a reason, or
 * undefined when the value is good. Bad records carry their text (base64 of their bytes).
 */
export function createAvroDecoder<T>(
  type: avro.Type,
  format: Extract<ValueFormat, { type: 'avro' | 'confluent-avro' }>,
  check: (value: T) => string | undefined = () => undefined,
): Decoder<T> {
  const unframe: (bytes: Buffer) => AvroRead<Buffer> =
    format.type === 'avro'
      ? (bytes) => ({ ok: true, value: bytes })
      : (bytes) => {
          const u = unframeConfluent(bytes, format.schemaId);
          return u.ok ? { ok: true, value: u.body } : u;
        };
  return {
    format: format.type,
    decode(record: RawRecord): Decoded<T> {
      const { position, readAt } = record;
      const bad = (reason: string): Decoded<T> => ({ ok: false, position, reason, raw: record.text });
      const body = unframe(recordBytes(record));
      if (!body.ok) return bad(body.reason);
      const read = readAvro<T>(type, body.value);
      if (!read.ok) return bad(read.reason);
      const problem = check(read.value);
      if (problem !== undefined) return bad(problem);
      return { ok: true, value: read.value, position, readAt };
    },
  };
}
