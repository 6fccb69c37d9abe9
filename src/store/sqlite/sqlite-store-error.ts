import Database from 'better-sqlite3';
import { OfflineStoreError, type OfflineOperation } from '../offline-errors.js';

/**
 * SQLITE_BUSY and SQLITE_LOCKED (and their extended codes, e.g. SQLITE_BUSY_SNAPSHOT) mean
 * another connection holds the lock past the busy timeout: the same call can succeed once it
 * lets go. Every other SQLite error (constraint, full disk, corrupt file) fails again.
 */
const RETRIABLE = /^SQLITE_(BUSY|LOCKED)(_|$)/;

/** Wraps what better-sqlite3 threw into an OfflineStoreError, deciding retriability once, here. */
export function toOfflineStoreError(operation: OfflineOperation, error: unknown): OfflineStoreError {
  if (error instanceof OfflineStoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Database.SqliteError) {
    return new OfflineStoreError(operation, `sqlite: ${message}`, { retriable: RETRIABLE.test(error.code), cause: error, code: error.code });
  }
  // better-sqlite3 throws TypeError/RangeError for misuse (a closed database, a bad binding).
  return new OfflineStoreError(operation, `sqlite: ${message}`, { retriable: false, cause: error });
}
