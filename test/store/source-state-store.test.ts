import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemorySourceStateStore } from '../../src/store/memory/memory-source-state-store.js';
import { RedisSourceStateStore } from '../../src/store/redis/redis-source-state-store.js';
import { SourceStateStoreError, sourceStateKey, type SourceSnapshot, type SourceStateStore } from '../../src/store/source-state-store.js';
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
      const [a, missing, b] = await store.load(['10.0.0.1', '10.0.0.9', '10.0.0.2']);
      expect(missing).toBeUndefined();
      expect(a).toEqual(SNAPSHOT);
      expect(Object.is((a!.states[0] as { zero: number }).zero, -0)).toBe(true);
      expect(Number.isNaN((a!.states[0] as { mean: number }).mean)).toBe(true);
      expect(b!.lastTs).toBe(5);
      expect(await store.load([])).toEqual([]);
    });

    it('replaces a snapshot whole on save', async () => {
      const { store } = make(60_000);
      await store.save([{ entity: 'ip', snapshot: SNAPSHOT }]);
      await store.save([{ entity: 'ip', snapshot: { layout: 'other', states: [1], lastTs: 9 } }]);
      expect(await store.load(['ip'])).toEqual([{ layout: 'other', states: [1], lastTs: 9 }]);
    });

    it('forgets a snapshot once its TTL has passed since the last save', async () => {
      const { store, expire } = make(300);
      await store.save([{ entity: 'ip', snapshot: SNAPSHOT }]);
      expect((await store.load(['ip']))[0]).toBeDefined();
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
