import { OfflineStoreError } from '../offline-errors.js';

/**
 * Values inlined into ClickHouse SQL. ClickHouse 18.16 has no query parameters, so every value
 * that reaches a query string goes through one of these functions and nothing else: strings
 * become escaped literals, numbers are checked integers, names are checked identifiers.
 * Row data never goes through SQL text at all (inserts are RowBinary).
 */

/**
 * Characters that end or bend a single-quoted ClickHouse literal: the quote, the backslash
 * (its escape character) and every control character (a NUL, a newline or a CR would be kept,
 * but escaping them keeps the SQL one readable line and leaves no byte to interpretation).
 */
const SPECIAL = /[\\'\x00-\x1f\x7f]/g;

function escapeChar(ch: string): string {
  if (ch === '\\') return '\\\\';
  if (ch === "'") return "\\'";
  return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** `value` as a ClickHouse string literal that the server reads back as exactly `value`. */
export function quoteString(value: string): string {
  if (typeof value !== 'string') throw new TypeError(`quoteString: expected a string, got ${typeof value}`);
  return `'${value.replace(SPECIAL, escapeChar)}'`;
}

/** A safe integer as an SQL literal; anything else (NaN, 1e300, '1 OR 1') is refused. */
export function integerLiteral(value: number): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`integerLiteral: expected a safe integer, got ${String(value)}`);
  return String(value);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `name` can name a database or table: letters, digits and `_`, not starting with a digit. */
export function isIdentifier(name: unknown): name is string {
  return typeof name === 'string' && IDENTIFIER.test(name);
}

/**
 * `name` backquoted, after checking it is a plain identifier. Names come from configuration,
 * not from data, so anything else is a setting to fix rather than something to escape.
 */
export function quoteIdentifier(name: string): string {
  if (!isIdentifier(name)) {
    throw new OfflineStoreError('open', `${JSON.stringify(name)} is not a valid ClickHouse name: use letters, digits and _, not starting with a digit`);
  }
  return `\`${name}\``;
}

/** `(a, b, c)` of quoted strings, for `IN`. */
export function stringList(values: readonly string[]): string {
  return `(${values.map(quoteString).join(', ')})`;
}
