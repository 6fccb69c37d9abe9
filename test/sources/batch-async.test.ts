import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { batchAsync, rebatchAsync } from '../../src/sources/batch-async.js';

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function* range(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i;
}

/** Yields items at the given times (ms after start), like a slow stdin. */
async function* timed(schedule: [atMs: number, item: number][]): AsyncGenerator<number> {
  const start = Date.now();
  for (const [at, item] of schedule) {
    const wait = start + at - Date.now();
    if (wait > 0) await delay(wait);
    yield item;
  }
}

async function collect<T>(it: AsyncIterable<T[]>): Promise<{ batch: T[]; atMs: number }[]> {
  const start = Date.now();
  const out: { batch: T[]; atMs: number }[] = [];
  for await (const batch of it) out.push({ batch, atMs: Date.now() - start });
  return out;
}

describe('batchAsync', () => {
  it('cuts at maxSize when items come fast, keeping order and every item', async () => {
    const out = await collect(batchAsync(range(10), { maxSize: 4, maxWaitMs: 10_000 }));
    expect(out.map((o) => o.batch)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it('flushes a partial batch maxWaitMs after its first item when the producer is slow', async () => {
    // 0 and 1 arrive together, 2 only after 200 ms: the first batch must not wait for it.
    const out = await collect(batchAsync(timed([[0, 0], [5, 1], [200, 2], [205, 3]]), { maxSize: 100, maxWaitMs: 40 }));
    expect(out.map((o) => o.batch)).toEqual([[0, 1], [2, 3]]);
    expect(out[0]!.atMs).toBeGreaterThanOrEqual(35);
    expect(out[0]!.atMs).toBeLessThan(180);
  });

  it('loses nothing when the timer wins the race against a pending next()', async () => {
    // Items every 12 ms with a 15 ms wait: the timer fires while next() is in flight most
    // of the time. Every item must still come out once, in order.
    const schedule: [number, number][] = Array.from({ length: 20 }, (_, i) => [i * 12, i]);
    const out = await collect(batchAsync(timed(schedule), { maxSize: 1000, maxWaitMs: 15 }));
    expect(out.length).toBeGreaterThan(3);
    expect(out.flatMap((o) => o.batch)).toEqual(schedule.map(([, i]) => i));
  });

  it('does not start the clock before the first item of a batch', async () => {
    // Nothing for 120 ms, then two items 5 ms apart: one batch, not a timed-out empty one
    // followed by singles.
    const out = await collect(batchAsync(timed([[120, 0], [125, 1]]), { maxSize: 100, maxWaitMs: 80 }));
    expect(out.map((o) => o.batch)).toEqual([[0, 1]]);
  });

  it('emits the items read before the source failed, then the error', async () => {
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      yield 2;
      throw new Error('disk on fire');
    }
    const seen: number[][] = [];
    await expect(async () => {
      for await (const b of batchAsync(failing(), { maxSize: 10, maxWaitMs: 1000 })) seen.push(b);
    }).rejects.toThrow('disk on fire');
    expect(seen).toEqual([[1, 2]]);
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    async function* source(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const b of batchAsync(source(), { maxSize: 3, maxWaitMs: 1000 })) {
      expect(b).toEqual([0, 1, 2]);
      break;
    }
    await delay(10);
    expect(closed).toBe(true);
  });

  it('rejects settings that would never emit', async () => {
    await expect(batchAsync(range(1), { maxSize: 0, maxWaitMs: 10 }).next()).rejects.toBeInstanceOf(ConfigError);
    await expect(batchAsync(range(1), { maxSize: 1, maxWaitMs: -1 }).next()).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('rebatchAsync', () => {
  it('splits and joins arriving arrays into batches of maxSize', async () => {
    async function* arrays(): AsyncGenerator<number[]> {
      yield [0, 1, 2, 3, 4, 5, 6];
      yield [];
      yield [7];
      yield [8, 9, 10];
    }
    const out = await collect(rebatchAsync(arrays(), { maxSize: 3, maxWaitMs: 10_000 }));
    expect(out.map((o) => o.batch)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10]]);
  });
});
