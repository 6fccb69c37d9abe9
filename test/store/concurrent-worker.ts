/**
 * One of the writers of the concurrency test in redis-online-store.test.ts, run as its own
 * Node process: `node --import tsx concurrent-worker.ts <keyPrefix> <partition> <batches> <keys>`.
 * It connects, reports `ready`, waits for `go`, then applies `batches` batches, each adding 1
 * to field `n` of every key with its own partition and increasing offsets, and reports the
 * wall-clock span it wrote in so the test can check the two writers overlapped.
 */
import { RedisOnlineStore } from '../../src/store/redis/redis-online-store.js';
import { testClient } from './redis-test-client.js';

const [keyPrefix, partitionArg, batchesArg, keysArg] = process.argv.slice(2);
const partition = Number(partitionArg);
const batches = Number(batchesArg);
const keys = Number(keysArg);
if (!keyPrefix || !Number.isInteger(partition) || !(batches > 0) || !(keys > 0)) {
  throw new Error(`usage: concurrent-worker.ts <keyPrefix> <partition> <batches> <keys>, got ${process.argv.slice(2).join(' ')}`);
}

const client = testClient();
const store = new RedisOnlineStore({ client, keyPrefix, families: [{ name: 'counters', ttlMs: 60_000 }] });
await client.ping();
const send = (message: unknown) => new Promise<void>((resolve) => process.send!(message, () => resolve()));
await send({ type: 'ready' });
await new Promise<void>((resolve) => process.once('message', () => resolve()));

const startedAt = performance.timeOrigin + performance.now();
let applied = 0;
for (let b = 0; b < batches; b++) {
  const updates = Array.from({ length: keys }, (_, k) => ({
    family: 'counters',
    entity: `k${k}`,
    position: { partition, offset: b },
    fold: { add: { n: 1, [`by${partition}`]: 1 } },
  }));
  applied += (await store.applyBatch(updates)).applied;
}
const endedAt = performance.timeOrigin + performance.now();
await send({ type: 'done', applied, startedAt, endedAt });
await client.quit();
process.disconnect();
