import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySourceStateStore } from '../../src/store/memory/memory-source-state-store.js';
import { RedisSourceStateStore } from '../../src/store/redis/redis-source-state-store.js';
import { foldedBefore, previousSourceStateKey, snapshotBefore, SourceStateStoreError, sourceStateKey, type SourceSnapshot, type SourceStateStore } from '../../src/store/source-state-store.js';
import { deleteKeys, randomPrefix, testClient } from './redis-test-client.js';

/** States hold numbers JSON cannot: they must come back as they went in. */
const SNAPSHOT: SourceSnapshot = {
  layout: 'v2;source=a,b;global=g',
  states: [{ mean: NaN, min: Infinity, max: -Infinity, zero: -0, tiles: [[1, { n: 2 }]] }, [0.1, 1e-300, null], 'text'],
  lastTs: 1_499_000_000_000,
};

function contract(name: string, make: (ttlMs: number) => { store: SourceStateStore; expire: () => Promise<void> }): void {
  describe(`${name} source state store`, () => {
    it('gives back each saved snapshot exactly, NaN, infinities and -0 included, and undefined for others', async () => {
      const { store } = make(60_000);
      await store.save([{ entity: '10.0.0.1', snapshot: SNAPSHOT }, { entity: '10.0.0.2', snapshot: { ...SNAPSHOT, lastTs: 5 } }]);
      const [stored, missing, b] = await store.load(['10.0.0.1', '10.0.0.9', '10.0.0.2']);
      expect(missing).toBeUndefined();
      const a = stored!.current;
      expect(a).toEqual(SNAPSHOT);
      expect(stored!.previous).toBeUndefined();
      expect(Object.is((a.states[0] as { zero: number }).zero, -0)).toBe(true);
      expect(Number.isNaN((a.states[0] as { mean: number }).mean)).toBe(true);
      expect(b!.current.lastTs).toBe(5);
      expect(await store.load([])).toEqual([]);
    });

    it('replaces a snapshot whole on save', async () => {
      const { store } = make(60_000);
      await store.save([{ entity: 'ip', snapshot: SNAPSHOT }]);
      await store.save([{ entity: 'ip', snapshot: { layout: 'other', states: [1], lastTs: 9 } }]);
      expect(await store.load(['ip'])).toEqual([{ current: { layout: 'other', states: [1], lastTs: 9 } }]);
    });

    it('keeps the current snapshot as the previous one when asked, and otherwise overwrites it and keeps the previous', async () => {
      const { store } = make(60_000);
      const at = (offset: number): SourceSnapshot => ({ ...SNAPSHOT, lastTs: offset, positions: { 'flows[0]': offset } });
      await store.save([{ entity: 'ip', snapshot: at(10), retainCurrent: true }]);
      expect(await store.load(['ip'])).toEqual([{ current: at(10) }]);
      await store.save([{ entity: 'ip', snapshot: at(20), retainCurrent: true }]);
      expect(await store.load(['ip'])).toEqual([{ current: at(20), previous: at(10) }]);
      // An attempt at the batch after 10 that did not commit wrote 20; its retry writes 15.
      await store.save([{ entity: 'ip', snapshot: at(15), retainCurrent: false }]);
      expect(await store.load(['ip'])).toEqual([{ current: at(15), previous: at(10) }]);
      await store.save([{ entity: 'ip', snapshot: at(30), retainCurrent: true }]);
      expect(await store.load(['ip'])).toEqual([{ current: at(30), previous: at(15) }]);
    });

    it('forgets a source once the TTL has passed since its last save', async () => {
      const { store, expire } = make(300);
      await store.save([{ entity: 'ip', snapshot: SNAPSHOT }]);
      await store.save([{ entity: 'ip', snapshot: SNAPSHOT, retainCurrent: true }]);
      expect((await store.load(['ip']))[0]?.previous).toEqual(SNAPSHOT);
      await expire();
      expect((await store.load(['ip']))[0]).toBeUndefined();
    });
  });
}

let now = 1_000;
contract('memory', (ttlMs) => ({
  store: new MemorySourceStateStore({ ttlMs, clock: () => now }),
  expire: async () => {
    now += ttlMs;
  },
}));

const client = testClient();
const prefixes: string[] = [];
afterAll(async () => {
  for (const p of prefixes) await deleteKeys(client, p);
  await client.quit();
});

contract('redis', (ttlMs) => {
  const keyPrefix = randomPrefix();
  prefixes.push(keyPrefix);
  return {
    store: new RedisSourceStateStore({ client, keyPrefix, ttlMs }),
    expire: () => new Promise((resolve) => setTimeout(resolve, ttlMs + 100)),
  };
});

describe('memory source state store expiry', () => {
  it('gives the previous snapshot the TTL of the new current one, as Redis does', async () => {
    let clock = 0;
    const store = new MemorySourceStateStore({ ttlMs: 1_000, clock: () => clock });
    await store.save([{ entity: 'ip', snapshot: SNAPSHOT }]);
    clock = 900;
    await store.save([{ entity: 'ip', snapshot: { ...SNAPSHOT, lastTs: 2 }, retainCurrent: true }]);
    clock = 1_800;
    expect(await store.load(['ip'])).toEqual([{ current: { ...SNAPSHOT, lastTs: 2 }, previous: SNAPSHOT }]);
    clock = 1_900;
    expect(await store.load(['ip'])).toEqual([undefined]);
  });
});

describe('redis source state store keys', () => {
  it('gives the previous snapshot the TTL of the new current one, never forever', async () => {
    const keyPrefix = randomPrefix();
    prefixes.push(keyPrefix);
    const store = new RedisSourceStateStore({ client, keyPrefix, ttlMs: 60_000 });
    await store.save([{ entity: 'ip', snapshot: SNAPSHOT }]);
    // The current snapshot is close to expiry when the source comes back.
    await client.pexpire(sourceStateKey(keyPrefix, 'ip'), 500);
    await store.save([{ entity: 'ip', snapshot: SNAPSHOT, retainCurrent: true }]);
    const ttl = await client.pttl(previousSourceStateKey(keyPrefix, 'ip'));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});

describe('redis source state store errors', () => {
  it('refuses a key that does not hold a snapshot, as a non-retriable error naming the key', async () => {
    const keyPrefix = randomPrefix();
    prefixes.push(keyPrefix);
    await client.set(sourceStateKey(keyPrefix, 'bad'), '{"layout": 3}');
    const store = new RedisSourceStateStore({ client, keyPrefix });
    const error = await store.load(['bad']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceStateStoreError);
    expect((error as SourceStateStoreError).retriable).toBe(false);
    expect((error as Error).message).toContain(`${keyPrefix}source_state:bad`);
  });

  it('refuses a snapshot whose positions are not offsets', async () => {
    const keyPrefix = randomPrefix();
    prefixes.push(keyPrefix);
    await client.set(sourceStateKey(keyPrefix, 'bad'), JSON.stringify({ layout: 'l', states: [], lastTs: 1, positions: { 'flows[0]': '12' } }));
    const error = await new RedisSourceStateStore({ client, keyPrefix }).load(['bad']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceStateStoreError);
    expect((error as Error).message).toContain('positions');
  });

  it('reports an unreachable server as a retriable error with the cause', async () => {
    const dead = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    const store = new RedisSourceStateStore({ client: dead });
    for (const call of [() => store.load(['ip']), () => store.save([{ entity: 'ip', snapshot: SNAPSHOT }])]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SourceStateStoreError);
      expect((error as SourceStateStoreError).retriable).toBe(true);
      expect((error as SourceStateStoreError).cause).toBeDefined();
    }
    dead.disconnect();
  });
});

describe('choosing the snapshot a batch continues from', () => {
  const at = (positions?: Record<string, number>): SourceSnapshot => ({ layout: 'l', states: [], lastTs: 0, ...(positions && { positions }) });

  it('takes the current snapshot when it holds none of the batch, on every partition the batch has', () => {
    const current = at({ 'a[0]': 9, 'b[1]': 50 });
    expect(snapshotBefore({ current, previous: at() }, { 'a[0]': 10, 'b[1]': 51 })).toBe(current);
    // A partition the snapshot never folded, or one the batch does not have, does not count.
    expect(snapshotBefore({ current }, { 'a[0]': 10, 'c[0]': 0 })).toBe(current);
    expect(snapshotBefore({ current }, {})).toBe(current);
    // A snapshot without positions (files, older releases) is never ahead of a batch.
    const plain = at();
    expect(snapshotBefore({ current: plain }, { 'a[0]': 0 })).toBe(plain);
  });

  it('rewinds to the previous snapshot when the current one already folded a record of the batch', () => {
    const previous = at({ 'a[0]': 9 });
    expect(snapshotBefore({ current: at({ 'a[0]': 10 }), previous }, { 'a[0]': 10 })).toBe(previous);
    expect(snapshotBefore({ current: at({ 'a[0]': 5, 'b[0]': 70 }), previous }, { 'a[0]': 10, 'b[0]': 60 })).toBe(previous);
  });

  it('gives none when no version stops before the batch, or nothing is stored', () => {
    expect(snapshotBefore({ current: at({ 'a[0]': 12 }), previous: at({ 'a[0]': 10 }) }, { 'a[0]': 10 })).toBeUndefined();
    expect(snapshotBefore({ current: at({ 'a[0]': 12 }) }, { 'a[0]': 10 })).toBeUndefined();
    expect(snapshotBefore(undefined, { 'a[0]': 10 })).toBeUndefined();
  });

  it('reads "before" per partition', () => {
    expect(foldedBefore({ 'a[0]': 3 }, { 'a[1]': 1 })).toBe(true);
    expect(foldedBefore({ 'a[0]': 3 }, { 'a[0]': 3 })).toBe(false);
    expect(foldedBefore(undefined, { 'a[0]': 3 })).toBe(true);
  });
});
