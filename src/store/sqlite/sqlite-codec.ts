import type { CheckedValue, ColumnType, ColumnValue } from '../offline-tables.js';

/**
 * How each logical column type is kept in SQLite. Float64 arrays are BLOBs of little-endian
 * doubles: bit-exact (text would round-trip too, but is ~3x larger and slower to parse), and
 * fixed to little-endian so a file moves between machines.
 */

/** The SQLite (STRICT) type of each logical column type, as the migrations declare it. */
export const SQLITE_TYPES: Readonly<Record<ColumnType, string>> = {
  string: 'TEXT',
  timestamp: 'INTEGER',
  uint16: 'INTEGER',
  uint64: 'INTEGER',
  float64: 'REAL',
  float64_array: 'BLOB',
  nullable_float64: 'REAL',
};

export function encodeFloat64Blob(values: ArrayLike<number>): Buffer {
  const out = Buffer.allocUnsafe(8 * values.length);
  for (let i = 0; i < values.length; i++) out.writeDoubleLE(values[i]!, 8 * i);
  return out;
}

export function decodeFloat64Blob(blob: Uint8Array): number[] {
  if (blob.length % 8 !== 0) throw new RangeError(`decodeFloat64Blob: ${blob.length} bytes is not a whole number of doubles`);
  const view = Buffer.from(blob.buffer, blob.byteOffset, blob.length);
  const out = new Array<number>(blob.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.readDoubleLE(8 * i);
  return out;
}

/** A checked value as the parameter SQLite binds. */
export function toSqlite(type: ColumnType, value: CheckedValue): string | number | Buffer | null {
  return type === 'float64_array' ? encodeFloat64Blob(value as ArrayLike<number>) : (value as string | number | null);
}

/** A column as SQLite returned it, as the value rows are built from. */
export function fromSqlite(type: ColumnType, value: unknown): ColumnValue {
  return type === 'float64_array' ? decodeFloat64Blob(value as Uint8Array) : (value as ColumnValue);
}
