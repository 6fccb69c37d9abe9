/**
 * Errors of the Kafka adapter. Each wraps what kafkajs threw (`cause`) and keeps kafkajs' own
 * verdict on retrying (`retriable`), so callers decide from a flag and a type, never from a
 * message. Bad settings are ConfigErrors (see settings.ts), not KafkaErrors.
 */
import { VigilError } from '../errors/vigil-error.js';

export interface KafkaErrorContext {
  topic?: string;
  partition?: number;
  groupId?: string;
}

export class KafkaError extends VigilError {
  readonly topic: string | undefined;
  readonly partition: number | undefined;
  readonly groupId: string | undefined;
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } & KafkaErrorContext = {}) {
    super(message, options);
    this.topic = options.topic;
    this.partition = options.partition;
    this.groupId = options.groupId;
  }
}

/** The brokers could not be reached, or the client could not connect or join. */
export class KafkaConnectionError extends KafkaError {}

/** The consumer crashed and kafkajs will not restart it. */
export class KafkaConsumerError extends KafkaError {}

/** Offsets could not be committed. */
export class KafkaCommitError extends KafkaError {}

/** Records could not be produced (or the broker did not acknowledge them). */
export class KafkaProduceError extends KafkaError {}

/** A value does not fit the Avro schema it is produced with: a bug upstream, never retriable. */
export class KafkaEncodeError extends KafkaError {}

/** Creating, growing or describing topics failed. */
export class KafkaAdminError extends KafkaError {}

/** A source or sink was used against its lifecycle (pull after stop, unknown position, ...). */
export class KafkaStateError extends KafkaError {}

interface KafkajsLike {
  name?: unknown;
  message?: unknown;
  retriable?: unknown;
  type?: unknown;
  cause?: unknown;
}

function asKafkajs(err: unknown): KafkajsLike {
  return typeof err === 'object' && err !== null ? (err as KafkajsLike) : {};
}

function rootCause(err: unknown): unknown {
  let e = err;
  for (let depth = 0; depth < 8; depth++) {
    const cause = asKafkajs(e).cause;
    if (cause === undefined || cause === null) break;
    e = cause;
  }
  return e;
}

/**
 * kafkajs' own verdict, read the way its consumer decides whether to restart after a crash:
 * retriable when kafkajs gave up after its retries (KafkaJSNumberOfRetriesExceeded: a broker
 * that was down may be back later) or when the original error was marked retriable.
 */
export function kafkajsRetriable(err: unknown): boolean {
  return asKafkajs(err).name === 'KafkaJSNumberOfRetriesExceeded' || asKafkajs(rootCause(err)).retriable === true;
}

/**
 * The protocol error types a group member sees while its group rebalances. kafkajs marks most
 * of them non-retriable (the request itself cannot succeed), but for a commit they only mean
 * "wait for the new assignment": its retriers wrap the original in `cause`, so the chain is
 * walked.
 */
const REBALANCE_TYPES: ReadonlySet<string> = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR_FOR_GROUP',
  'NOT_COORDINATOR',
  'COORDINATOR_NOT_AVAILABLE',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
]);

export function isRebalanceError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    const k = asKafkajs(e);
    if (typeof k.type === 'string' && REBALANCE_TYPES.has(k.type)) return true;
    e = k.cause;
  }
  return false;
}

function describeCause(err: unknown): string {
  const k = asKafkajs(err);
  const name = typeof k.name === 'string' ? k.name : 'Error';
  const message = typeof k.message === 'string' ? k.message : String(err);
  return `${name}: ${message}`;
}

/**
 * `what` failed because of `err` (usually a kafkajs error), as a KafkaError subclass: the
 * message says what was being done and why it failed, `retriable` is kafkajs' flag.
 * An error already of that type passes through unchanged, so wrapping twice is harmless.
 */
export function wrapKafkaError<E extends KafkaError>(
  ErrorType: new (message: string, options: { retriable?: boolean; cause?: unknown } & KafkaErrorContext) => E,
  what: string,
  err: unknown,
  context: KafkaErrorContext = {},
): E {
  if (err instanceof ErrorType) return err;
  return new ErrorType(`${what}: ${describeCause(err)}`, { retriable: kafkajsRetriable(err), cause: err, ...context });
}
