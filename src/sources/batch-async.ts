import { ConfigError } from '../errors/vigil-error.js';

export interface BatchOptions {
  /** A batch is emitted as soon as it holds this many items. */
  maxSize: number;
  /** ...or this long after its first item arrived, however few it holds. */
  maxWaitMs: number;
}

const TIMED_OUT = Symbol('timed out');

function checkOptions({ maxSize, maxWaitMs }: BatchOptions): void {
  if (!Number.isInteger(maxSize) || maxSize < 1) throw new ConfigError(`batch maxSize must be an integer >= 1, got ${maxSize}`);
  if (!(maxWaitMs >= 0) || !Number.isFinite(maxWaitMs)) throw new ConfigError(`batch maxWaitMs must be a finite number >= 0, got ${maxWaitMs}`);
}

/**
 * Groups an async iterable into arrays of at most `maxSize`, emitting a partial batch
 * `maxWaitMs` after its first item, so a trickle (an interactive stdin, a quiet topic) is
 * still seen promptly instead of waiting for a full batch.
 *
 * If the source throws, the items already read are emitted first, then the error.
 */
export async function* batchAsync<T>(source: AsyncIterable<T>, options: BatchOptions): AsyncGenerator<T[], void, undefined> {
  checkOptions(options);
  async function* singles(): AsyncGenerator<T[], void, undefined> {
    for await (const item of source) yield [item];
  }
  yield* rebatchAsync(singles(), options);
}

/**
 * batchAsync over items that arrive in arrays (the lines of one read chunk): the same
 * batches, but one await per arriving array instead of per item, which is what lets a
 * file source keep up with the decoder. Arrays are split across batches as needed.
 *
 * When the timer wins, the `next()` call that lost the race is still running and will
 * resolve to items: it is kept and awaited for the next batch, never called again, so no
 * item is dropped or read twice. No timer is set while waiting for a batch's first item,
 * and one timer serves a whole batch.
 */
export async function* rebatchAsync<T>(source: AsyncIterable<readonly T[]>, options: BatchOptions): AsyncGenerator<T[], void, undefined> {
  checkOptions(options);
  const { maxSize, maxWaitMs } = options;
  const iterator = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<readonly T[]>> | null = null;
  // Items of an arrived array that did not fit in the previous batch.
  let rest: readonly T[] = [];
  let restAt = 0;
  let finished = false;
  try {
    while (!finished || restAt < rest.length) {
      const batch: T[] = [];
      let timer: NodeJS.Timeout | undefined;
      let deadline: Promise<typeof TIMED_OUT> | undefined;
      try {
        while (batch.length < maxSize) {
          if (restAt < rest.length) {
            const take = Math.min(maxSize - batch.length, rest.length - restAt);
            for (let i = 0; i < take; i++) batch.push(rest[restAt + i] as T);
            restAt += take;
          } else {
            if (finished) break;
            pending ??= iterator.next();
            let step: IteratorResult<readonly T[]> | typeof TIMED_OUT;
            try {
              step = deadline ? await Promise.race([pending, deadline]) : await pending;
            } catch (err) {
              pending = null;
              finished = true;
              if (batch.length > 0) yield batch;
              throw err;
            }
            if (step === TIMED_OUT) break; // `pending` stays: its items belong to the next batch
            pending = null;
            if (step.done) {
              finished = true;
              break;
            }
            rest = step.value;
            restAt = 0;
            continue;
          }
          if (!deadline && batch.length > 0 && batch.length < maxSize) {
            deadline = new Promise((resolve) => {
              timer = setTimeout(() => resolve(TIMED_OUT), maxWaitMs);
            });
          }
        }
      } finally {
        clearTimeout(timer);
      }
      if (batch.length > 0) yield batch;
    }
  } finally {
    // A consumer that stops early must release the source (close the file). Not awaited:
    // with a next() still pending on a silent stdin, return() would wait for it forever.
    if (!finished) void Promise.resolve(iterator.return?.()).catch(() => {});
  }
}
