import type { KafkaMessage } from 'kafkajs';
import type { Position, RawRecord } from '../sources/record.js';

export type KafkaPosition = Extract<Position, { kind: 'kafka' }>;

/**
 * How a record's bytes become RawRecord.text: JSON topics as UTF-8, binary (Avro) topics as
 * base64, so the text (and a dead letter's `raw`) always gives the exact bytes back.
 */
export type RawTextEncoding = 'utf8' | 'base64';

/**
 * A RawRecord read from Kafka. It keeps the record's bytes beside the text, so binary decoders
 * read them without a base64 round trip, and the record key (vigil's producers key by source IP).
 */
export interface KafkaRawRecord extends RawRecord {
  position: KafkaPosition;
  /** The record value; null for a tombstone. */
  value: Buffer | null;
  key: string | null;
  /** The record's timestamp, epoch ms (producer create time, or broker log-append time). */
  timestamp: number;
}

export function isKafkaRawRecord(record: RawRecord): record is KafkaRawRecord {
  return record.position.kind === 'kafka' && 'value' in record;
}

export function toRawRecord(topic: string, partition: number, message: KafkaMessage, encoding: RawTextEncoding, readAt: number): KafkaRawRecord {
  const value = message.value;
  return {
    position: { kind: 'kafka', topic, partition, offset: message.offset },
    text: value === null ? '' : value.toString(encoding),
    byteLength: value === null ? 0 : value.length,
    readAt,
    value,
    key: message.key === null ? null : message.key.toString('utf8'),
    timestamp: Number(message.timestamp),
  };
}

/** The bytes of a record: a Kafka record's own, otherwise its text read as base64. */
export function recordBytes(record: RawRecord): Buffer {
  if (isKafkaRawRecord(record)) return record.value ?? Buffer.alloc(0);
  return Buffer.from(record.text, 'base64');
}
