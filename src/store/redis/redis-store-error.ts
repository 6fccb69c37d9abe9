import { ReplyError } from 'ioredis';
import { StoreError, type StoreOperation } from '../online-store.js';

/**
 * Replies after which the same command can succeed later: the server is running a long
 * script (BUSY), loading its dataset (LOADING), between failover states (TRYAGAIN,
 * MASTERDOWN, CLUSTERDOWN) or was just demoted to a replica (READONLY). Every other reply
 * error (WRONGTYPE, a script error, ERR) fails the same way again.
 */
const RETRIABLE_REPLY = /^(BUSY|LOADING|TRYAGAIN|MASTERDOWN|CLUSTERDOWN|READONLY)\b/;

const ReplyErrorClass = ReplyError as new (...args: never[]) => Error;

/**
 * Wraps what ioredis threw into a StoreError, deciding retriability once, here, from the
 * error's type (and for a reply, its error code), so callers read only the flag. Anything
 * that is not a reply from the server is a connection problem (refused, reset, closed,
 * `commandTimeout`, ioredis' MaxRetriesPerRequestError) and retriable.
 */
export function toStoreError(operation: StoreOperation, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const retriable = error instanceof ReplyErrorClass ? RETRIABLE_REPLY.test(message) : true;
  return new StoreError(operation, `redis: ${message}`, { retriable, cause: error });
}
