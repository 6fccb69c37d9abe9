import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { baselineUpdate, BASELINE_FAMILY } from '../../src/aggregate/baseline-features.js';
import { StoreError } from '../../src/store/online-store.js';
import { MemoryOnlineStore } from '../../src/store/memory/memory-online-store.js';
import { RedisOnlineStore } from '../../src/store/redis/redis-online-store.js';
import { mulberry32 } from '../../src/training/rng.js';
import { describeOnlineStoreContract, generatedFlows } from './online-store-contract.js';
import { deleteKeys, randomPrefix, testClient } from './redis-test-client.js';

const client = testClient();
afterAll(async () => {
  await client.quit();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describeOnlineStoreContract('RedisOnlineStore', async () => {
  const keyPrefix = randomPrefix();
  return {
    createStore: (options) => new RedisOnlineStore({ ...options, client }),
    keyPrefix,
    advance: (ms) => sleep(ms),
    // Short enough to wait out, long enough for a loaded 2-core machine to keep the margins.
    shortTtlMs: 500,
    cleanup: () => deleteKeys(client, keyPrefix),
  };
});

describe('RedisOnlineStore on a real server', () => {
  let keyPrefix: string;
  let store: RedisOnlineStore;
  const counters = { name: 'counters', ttlMs: 60_000 };
  beforeEach(() => {
    keyPrefix = randomPrefix();
    store = new RedisOnlineStore({ client, keyPrefix, families: [BASELINE_FAMILY, counters] });
  });
  afterEach(async () => {
    await deleteKeys(client, keyPrefix);
  });

  it('keeps baseline features in one hash per IP, with a one-hour TTL and the partition offsets', async () => {
    const flows = generatedFlows(5, 10, 1);
    await store.applyBatch(flows.map((f, i) => baselineUpdate(f, { partition: 3, offset: 100 + i })));
    const key = `${keyPrefix}baseline_features:${flows[0]!.srcIp}`;
    const ttl = await client.pttl(key);
    expect(ttl).toBeGreaterThan(3_600_000 - 5_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
    const hash = await client.hgetall(key);
    expect(hash['@p:3']).toBe('109');
    expect(Number(hash['dst_port:count'])).toBe(flows.filter((f) => Number.isFinite(f.features.dst_port)).length);
    expect(Object.keys(hash)).toHaveLength(1 + 20 * 3);
  });

  it('fails a script on a key of the wrong type as non-retriable, before writing any key', async () => {
    await client.set(`${keyPrefix}counters:taken`, 'a string');
    const updates = ['first', 'taken'].map((entity) => ({ family: 'counters', entity, position: { partition: 0, offset: 1 }, fold: { add: { n: 1 } } }));
    const error = await store.applyBatch(updates).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).retriable).toBe(false);
    expect((error as StoreError).message).toMatch(/WRONGTYPE/);
    expect((error as StoreError).cause).toBeInstanceOf(Error);
    expect(await client.exists(`${keyPrefix}counters:first`)).toBe(0);
  });

  it('fails on a field that does not hold a number as non-retriable, before writing any key', async () => {
    await client.hset(`${keyPrefix}counters:garbled`, 'n', 'not a number');
    const updates = ['first', 'garbled'].map((entity) => ({ family: 'counters', entity, position: { partition: 0, offset: 1 }, fold: { add: { n: 1 } } }));
    const error = await store.applyBatch(updates).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).retriable).toBe(false);
    expect((error as StoreError).message).toMatch(/field n of .*garbled holds not a number/);
    expect(await client.exists(`${keyPrefix}counters:first`)).toBe(0);
    expect(await client.hgetall(`${keyPrefix}counters:garbled`)).toEqual({ n: 'not a number' });
  });

  it('holds bit for bit the state the memory store holds after the same batches', async () => {
    const rng = mulberry32(99);
    const value = () => (rng() - 0.3) * 10 ** Math.floor(rng() * 12 - 6);
    const batches = Array.from({ length: 5 }, (_, b) =>
      Array.from({ length: 30 }, (_, i) => ({
        family: 'counters',
        entity: `ip${i % 7}`,
        position: { partition: i % 2, offset: b * 30 + i },
        fold: { add: { s: value(), t: value() }, min: { lo: value() }, max: { hi: value() } },
      })),
    );
    const memory = new MemoryOnlineStore({ families: [counters] });
    for (const batch of batches) {
      expect(await store.applyBatch(batch)).toEqual(await memory.applyBatch(batch));
    }
    const keys = Array.from({ length: 7 }, (_, i) => ({ family: 'counters', entity: `ip${i}` }));
    expect(await store.getMany(keys)).toEqual(await memory.getMany(keys));
  });

  it('reports an unreachable server as a retriable StoreError', async () => {
    // Port 1 on loopback refuses connections; no retries, so the refusal surfaces at once.
    const dead = new Redis({ host: '127.0.0.1', port: 1, maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    dead.on('error', () => {}); // the refusal is asserted through the rejected call below
    const unreachable = new RedisOnlineStore({ client: dead, keyPrefix, families: [counters] });
    const error = await unreachable.getMany([{ family: 'counters', entity: 'x' }]).catch((e: unknown) => e);
    dead.disconnect();
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).retriable).toBe(true);
    expect((error as StoreError).operation).toBe('getMany');
  });

  it('loses no increment when two processes update the same keys at once', async () => {
    const batches = 150;
    const keys = 40;
    const worker = fileURLToPath(new URL('./concurrent-worker.ts', import.meta.url));
    const children: ChildProcess[] = [0, 1].map((partition) =>
      spawn(process.execPath, ['--import', 'tsx', worker, keyPrefix, String(partition), String(batches), String(keys)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    const messages = (child: ChildProcess) => {
      const ready = new Promise<void>((resolve) => child.on('message', (m: { type: string }) => m.type === 'ready' && resolve()));
      const done = new Promise<{ applied: number; startedAt: number; endedAt: number }>((resolve, reject) => {
        child.on('message', (m: { type: string; applied: number; startedAt: number; endedAt: number }) => m.type === 'done' && resolve(m));
        child.on('exit', (code) => reject(new Error(`worker exited with ${code} before reporting`)));
      });
      return { ready, done };
    };
    const channels = children.map(messages);
    await Promise.all(channels.map((c) => c.ready));
    for (const child of children) child.send('go');
    const reports = await Promise.all(channels.map((c) => c.done));

    expect(reports.map((r) => r.applied)).toEqual([batches * keys, batches * keys]);
    // The writers must have overlapped in time, or this test would prove nothing.
    const [a, b] = reports as [(typeof reports)[0], (typeof reports)[0]];
    expect(Math.min(a.endedAt, b.endedAt)).toBeGreaterThan(Math.max(a.startedAt, b.startedAt));

    const states = await new RedisOnlineStore({ client, keyPrefix, families: [counters] }).getMany(
      Array.from({ length: keys }, (_, k) => ({ family: 'counters', entity: `k${k}` })),
    );
    for (const state of states) {
      expect(state).toEqual({ fields: { n: 2 * batches, by0: batches, by1: batches }, positions: { 0: batches - 1, 1: batches - 1 } });
    }
  });
});
