import { ClickHouseError } from '@clickhouse/client';
import { OfflineStoreError, type OfflineOperation } from '../offline-errors.js';

/**
 * Server error codes after which the same request can succeed later: a timeout, too many
 * queries or parts at once, a memory limit hit by concurrent work, a network error between
 * servers. Every other server error (syntax, unknown table, type mismatch) fails again.
 */
const RETRIABLE_CODES: ReadonlySet<string> = new Set([
  '159', // TIMEOUT_EXCEEDED
  '202', // TOO_MANY_SIMULTANEOUS_QUERIES
  '209', // SOCKET_TIMEOUT
  '210', // NETWORK_ERROR
  '241', // MEMORY_LIMIT_EXCEEDED
  '252', // TOO_MANY_PARTS
]);

/**
 * ClickHouse 18.16 words its errors `Code: 81, e.displayText() = DB::Exception: ...`, without
 * the `(TYPE)` suffix the client looks for, so the client hands them over as plain Errors.
 */
const OLD_SERVER_ERROR = /^Code: (\d+)[,.]/;

/** The server's error code, if `error` is an error reply from a server (old or new). */
export function serverErrorCode(error: unknown): string | undefined {
  if (error instanceof ClickHouseError) return error.code;
  if (error instanceof Error) return OLD_SERVER_ERROR.exec(error.message)?.[1];
  return undefined;
}

/**
 * Wraps what the client threw into an OfflineStoreError, deciding retriability once, here. A
 * server reply is retriable only for the codes above; anything that is not a server reply is
 * the connection (refused, reset, EPIPE, the client's "Timeout error.") and is retriable.
 */
export function toOfflineStoreError(operation: OfflineOperation, error: unknown): OfflineStoreError {
  if (error instanceof OfflineStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = serverErrorCode(error);
  const retriable = code === undefined || RETRIABLE_CODES.has(code);
  const firstLine = message.split('\n', 1)[0] ?? message;
  return new OfflineStoreError(operation, `clickhouse: ${firstLine}`, { retriable, cause: error, ...(code === undefined ? {} : { code }) });
}
