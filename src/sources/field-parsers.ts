/**
 * Cell and field parsers shared by the CSV and JSON-lines decoders, so both formats accept
 * and reject exactly the same values. Each returns undefined for a value it cannot read;
 * the decoder turns that into a bad-input reason naming the field.
 */
import { isIP } from 'node:net';
import { FlowEventType, schemaViolation } from '../events/flow-event.js';
import type { FlowEvent } from '../events/flow-event.js';
import { FLOW_FEATURE_NAMES } from '../features/flow-features.js';
import type { Position } from './record.js';

/**
 * A features object with every feature NaN, to copy with `{ ...FEATURES_TEMPLATE }` and fill.
 * Adding 79 keys one by one to `{}` turns the object into a slow dictionary in V8 (measured:
 * decoding ran at ~half speed, mostly in GC); a spread copy of this keeps one fast shape.
 */
export const FEATURES_TEMPLATE: Readonly<Record<string, number>> = Object.fromEntries(FLOW_FEATURE_NAMES.map((n) => [n, NaN]));

/**
 * Spellings of non-finite values seen in flow exports: the original CICIDS2017 CSVs write
 * `Infinity` and `NaN` (Java's Double.toString), pandas writes `inf`/`nan`. They are values,
 * not bad input: the vectorizer's sanitize step decides what a non-finite feature means.
 */
const SPECIAL_NUMBERS = new Map<string, number>([
  ['infinity', Infinity],
  ['+infinity', Infinity],
  ['inf', Infinity],
  ['+inf', Infinity],
  ['-infinity', -Infinity],
  ['-inf', -Infinity],
  ['nan', NaN],
  ['+nan', NaN],
  ['-nan', NaN],
]);

/** A decimal number (or a non-finite spelling above); undefined for anything else. */
export function parseNumber(text: string): number | undefined {
  const n = Number(text);
  if (n === n) {
    // Number() also reads "" and "  " as 0 and "0x1f", "0b1", "0o7" as integers; none is a
    // number in a flow export, and a 0 silently taking the place of a broken cell is the
    // worst outcome, so they are refused.
    if (text.length === 0) return undefined;
    const c = text.charCodeAt(0);
    if (c === 0x30 && text.length > 2) {
      const d = text.charCodeAt(1) | 0x20;
      if (d === 0x78 || d === 0x6f || d === 0x62) return undefined;
    } else if (c <= 0x20) {
      const t = text.trim();
      return t === '' ? undefined : parseNumber(t);
    }
    return n;
  }
  return SPECIAL_NUMBERS.get(text.trim().toLowerCase());
}

/** A TCP/UDP port: an integer 0..65535 (ICMP flows carry 0). */
export function parsePort(text: string): number | undefined {
  const n = parseNumber(text);
  return n !== undefined && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

export function isIpAddress(text: string): boolean {
  return isIP(text) !== 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Epoch ms of a UTC wall-clock time, or undefined when a field is out of range (no rollover). */
export function utcMillis(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number): number | undefined {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const leap = month === 2 && (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 1 : 0;
  if (day > (DAYS_IN_MONTH[month - 1] ?? 0) + leap) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, ms);
}

/** Milliseconds from a fraction of a second's digits ("590705" -> 590), truncated. */
export function fractionMillis(digits: string | undefined): number {
  return digits ? Number(digits.slice(0, 3).padEnd(3, '0')) : 0;
}

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * An ISO-8601 date-time to epoch ms. Without an offset it is read as UTC: vigil's times are
 * UTC end to end, and Date.parse would read it as the machine's local time instead.
 */
export function parseIsoTimestamp(text: string): number | undefined {
  const m = ISO_8601.exec(text.trim());
  if (!m) return undefined;
  const base = utcMillis(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), fractionMillis(m[7]));
  if (base === undefined) return undefined;
  const zone = m[8];
  if (!zone || zone.toUpperCase() === 'Z') return base;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0);
  return base - sign * offsetMinutes * 60_000;
}

/** The per-record part of an event id when the source has no unique key of its own. */
export function positionKey(p: Position): string {
  return p.kind === 'file' ? String(p.line) : `${p.partition}@${p.offset}`;
}

/** Reason text for a line over the cap; `byteLength` is the whole line's, not the head's. */
export function oversizeReason(byteLength: number, maxLineBytes: number): string {
  return `oversize: line of ${byteLength} bytes exceeds the ${maxLineBytes}-byte limit`;
}

/**
 * The `schema` reason for an event that does not fit schemas/flow-event.avsc, or undefined.
 * isValid() without a hook is avsc's compiled fast path; the hook walk that names the
 * offending fields only runs for the rare invalid event.
 */
export function flowEventSchemaReason(event: FlowEvent): string | undefined {
  if (FlowEventType.isValid(event)) return undefined;
  return `schema: ${schemaViolation(FlowEventType, event) ?? 'does not match schemas/flow-event.avsc'}`;
}

/** A value for a bad-input reason: quoted, and cut so one reason stays one readable line. */
export function quote(value: string, max = 60): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** A value as it may appear in a bad-input reason: JSON, cut to 60 characters. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** A JSON line that must hold one object: the object, or the `bad-json` reason. */
export function parseJsonObject(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; reason: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `bad-json: ${(err as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: `bad-json: expected an object, got ${Array.isArray(parsed) ? 'an array' : describeValue(parsed)}` };
  }
  return { ok: true, value: parsed as Record<string, unknown> };
}
