import { Observable, Subject, concatMap, from, map, takeWhile, tap, type OperatorFunction } from 'rxjs';

/**
 * Drives `stages` with items pulled from `source` one at a time: the next item is pulled only
 * after `stages` has emitted the result of the previous one.
 *
 * RxJS has no backpressure: `from(asyncIterable)` pulls as fast as it can and lets a slow
 * `concatMap` queue everything, so a large file would sit in memory while inference catches
 * up. Pulling on credit keeps at most one micro-batch in flight, and lets a Kafka source pause
 * its consumer simply by not being pulled.
 *
 * `stages` must emit exactly one value per input value (map batches to batches, possibly
 * empty ones); a stage that filters a batch out would stall the pull.
 *
 * Unsubscribing stops pulling and calls the iterator's `return()`, so files are closed.
 */
export function pullBatches<T, R>(source: AsyncIterable<T>, stages: OperatorFunction<T, R>): Observable<R> {
  return new Observable<R>((subscriber) => {
    const iterator = source[Symbol.asyncIterator]();
    const credit = new Subject<void>();
    const subscription = credit
      .pipe(
        concatMap(() => from(iterator.next())),
        takeWhile((step) => !step.done),
        map((step) => step.value as T),
        stages,
        tap(() => queueMicrotask(() => credit.next())),
      )
      .subscribe(subscriber);
    credit.next();
    return () => {
      subscription.unsubscribe();
      void iterator.return?.();
    };
  });
}
