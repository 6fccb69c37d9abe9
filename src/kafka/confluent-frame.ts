/**
 * Confluent's schema-registry wire format: one magic byte (0), the schema id as a 4-byte
 * big-endian integer, then the Avro binary body. Pure functions; no registry is consulted.
 */

export const CONFLUENT_MAGIC_BYTE = 0;
export const CONFLUENT_HEADER_BYTES = 5;

export function frameConfluent(schemaId: number, body: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(CONFLUENT_HEADER_BYTES + body.length);
  framed.writeUInt8(CONFLUENT_MAGIC_BYTE, 0);
  framed.writeUInt32BE(schemaId, 1);
  framed.set(body, CONFLUENT_HEADER_BYTES);
  return framed;
}

export type Unframed = { ok: true; schemaId: number; body: Buffer } | { ok: false; reason: string };

/**
 * The schema id and body of a framed record, or why it is not one. With `expectedSchemaId`, a
 * record written with another id is refused: its body would be read with the wrong schema.
 * Reasons start with a stable code ("bad-frame", "schema-id") for dead-letter counts.
 */
export function unframeConfluent(record: Buffer, expectedSchemaId?: number): Unframed {
  if (record.length < CONFLUENT_HEADER_BYTES) {
    return { ok: false, reason: `bad-frame: ${record.length} bytes, a Confluent frame has at least ${CONFLUENT_HEADER_BYTES}` };
  }
  const magic = record.readUInt8(0);
  if (magic !== CONFLUENT_MAGIC_BYTE) {
    return { ok: false, reason: `bad-frame: magic byte 0x${magic.toString(16).padStart(2, '0')}, expected 0x00 (Confluent wire format)` };
  }
  const schemaId = record.readUInt32BE(1);
  if (expectedSchemaId !== undefined && schemaId !== expectedSchemaId) {
    return { ok: false, reason: `schema-id: record written with schema id ${schemaId}, expected ${expectedSchemaId}` };
  }
  return { ok: true, schemaId, body: record.subarray(CONFLUENT_HEADER_BYTES) };
}
