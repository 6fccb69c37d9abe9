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
  return new StoreError(operation, `redis: ${redisErrorMessage(error)}`, { retriable: isRetriableRedisError(error), cause: error });
}

export function redisErrorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Whether what ioredis threw may not happen again on a retry (the rule above). */
export function isRetriableRedisError(error: unknown): boolean {
  return error instanceof ReplyErrorClass ? RETRIABLE_REPLY.test(redisErrorMessage(error)) : true;
}
