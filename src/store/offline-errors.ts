import { VigilError } from '../errors/vigil-error.js';

export type OfflineOperation = 'open' | 'migrate' | 'insert' | 'scan' | 'vectorsAsOf' | 'count' | 'close';

/**
 * An offline store operation failed. `retriable` is true where trying again can help (the
 * server is unreachable, a request timed out, the server is overloaded, the SQLite file is
 * locked by another writer) and false where it cannot (invalid rows, an SQL error, a schema
 * that does not match the code). `cause` keeps the original error; `code` the server's error
 * code when there is one (ClickHouse's numeric code, SQLite's `SQLITE_*`).
 */
export class OfflineStoreError extends VigilError {
  readonly operation: OfflineOperation;
  readonly code: string | undefined;
  constructor(
    operation: OfflineOperation,
    message: string,
    options: { retriable?: boolean; cause?: unknown; code?: string } = {},
  ) {
    super(`${operation}: ${message}`, options);
    this.operation = operation;
    this.code = options.code;
  }
}
