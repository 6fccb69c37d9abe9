import { describe, expect, it } from 'vitest';
import { concatMap, lastValueFrom, map, take, toArray } from 'rxjs';
import { pullBatches } from '../../src/operators/pull-batches.js';

/** An async source that records how far it has been pulled and whether it was closed. */
function countingSource(n: number) {
  const state = { pulled: 0, closed: false };
  async function* gen() {
    try {
      for (let i = 0; i < n; i++) {
        state.pulled += 1;
        yield i;
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, iterable: gen() };
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pullBatches', () => {
  it('emits every item in order and completes', async () => {
    const { iterable } = countingSource(5);
    const out = await lastValueFrom(pullBatches(iterable, map((x: number) => x * 10)).pipe(toArray()));
    expect(out).toEqual([0, 10, 20, 30, 40]);
  });

  it('pulls the next item only after the stages emitted the previous one', async () => {
    const { state, iterable } = countingSource(4);
    const inFlight: number[] = [];
    const stages = concatMap(async (x: number) => {
      inFlight.push(state.pulled - x); // items pulled beyond the one being processed
      await delay(5);
      return x;
    });
    await lastValueFrom(pullBatches(iterable, stages).pipe(toArray()));
    expect(inFlight).toEqual([1, 1, 1, 1]);
  });

  it('completes at once on an empty source', async () => {
    const { iterable } = countingSource(0);
    const out = await lastValueFrom(pullBatches(iterable, map((x: number) => x)).pipe(toArray()));
    expect(out).toEqual([]);
  });

  it('propagates a throwing stage as an error', async () => {
    const { iterable } = countingSource(3);
    const failing = map((x: number) => {
      if (x === 1) throw new Error('boom');
      return x;
    });
    await expect(lastValueFrom(pullBatches(iterable, failing))).rejects.toThrow('boom');
  });

  it('stops pulling and closes the source on early unsubscribe', async () => {
    const { state, iterable } = countingSource(1000);
    const out = await lastValueFrom(pullBatches(iterable, map((x: number) => x)).pipe(take(3), toArray()));
    expect(out).toEqual([0, 1, 2]);
    await delay(5);
    expect(state.closed).toBe(true);
    expect(state.pulled).toBeLessThanOrEqual(4);
  });
});
