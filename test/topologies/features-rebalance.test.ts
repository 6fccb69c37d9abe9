/**
 * Two members of a consumer group share the sources through the state store. A member that
 * loses a partition and gets it back must continue its sources from the store (what the other
 * member stepped meanwhile), not from its own stale copy in memory. A batch read again after a
 * crash (its states saved, its offsets never committed) must continue from the states before
 * it, not count its records twice.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSourceStateStore } from '../../src/store/redis/redis-source-state-store.js';
import { deleteKeys, randomPrefix, testClient } from '../store/redis-test-client.js';
import type { FeaturePipeline } from '../../src/features/pipeline.js';
import type { InputEvent } from '../../src/sources/file-source.js';
import type { EventBatch } from '../../src/stages/event-batch.js';
import { featurize } from '../../src/stages/featurize.js';
import { heldSources, releaseSourcesOnRebalance, restoreSourceStates, saveSourceStates, sourceStateCounters, type HeldSources, type SourceStateCounters } from '../../src/stages/source-states.js';
import { MemorySourceStateStore } from '../../src/store/memory/memory-source-state-store.js';
import type { SourceStateStore } from '../../src/store/source-state-store.js';
import { openV2Pipeline } from '../../src/vector/v2/open-v2-pipeline.js';
import { decodeAll, writeV2Inputs, type V2Inputs } from '../features/v2-fixtures.js';

let inputs: V2Inputs;
let events: InputEvent[];
beforeAll(async () => {
  inputs = writeV2Inputs();
  // One honeypot day: sessions whose sequence, timing and auth features build up event by event.
  events = (await decodeAll(inputs.cowrie)).events;
});
const client = testClient();
afterAll(async () => {
  rmSync(inputs.dir, { recursive: true, force: true });
  await client.quit();
});

const pipelineAt = async (ts: number): Promise<FeaturePipeline> => (await openV2Pipeline({ eventTimeMs: ts }, () => undefined)).pipeline;

function batchOf(part: readonly InputEvent[]): EventBatch {
  return { size: part.length, last: null, accepted: part.map((event, line) => ({ event, position: { kind: 'file', file: 'cowrie', line }, readAt: 0 })), bad: [] };
}

/** Events `from` .. `to` (exclusive) as a batch read from one Kafka partition, offset = index. */
function kafkaBatch(from: number, to: number): EventBatch {
  const accepted = events.slice(from, to).map((event, i) => ({ event, position: { kind: 'kafka' as const, topic: 'cowrie', partition: 0, offset: String(from + i) }, readAt: 0 }));
  return { size: accepted.length, last: accepted.at(-1)?.position ?? null, accepted, bad: [] };
}

const vectorsOf = (batch: EventBatch): number[][] => batch.accepted.map((_, i) => Array.from(batch.vectors!.subarray(i * 100, (i + 1) * 100)));

/** One member's state stages around featurize, as the features topology runs them; returns the batch's vectors. */
async function step(member: Member, store: SourceStateStore, input: EventBatch): Promise<number[][]> {
  let batch = input;
  if (member.release) batch = member.release(batch);
  batch = await restoreSourceStates(store, member.held)(batch);
  batch = featurize(member.held.pipeline)(batch);
  await saveSourceStates(store, member.held)(batch);
  return vectorsOf(batch);
}

describe('per-source feature states across a rebalance', () => {
  it('a member that gets a partition back continues its sources from the store, as one process would have', async () => {
    const third = Math.floor(events.length / 3);
    const parts = [events.slice(0, third), events.slice(third, 2 * third), events.slice(2 * third)];
    const reference = await pipelineAt(events[0]!.ts);
    const expected = featurize(reference)(batchOf(events)).vectors!;
    const expectedLast = parts[2]!.map((_, i) => Array.from(expected.subarray((2 * third + i) * 100, (2 * third + i + 1) * 100)));

    const run = async (followOwnership: boolean): Promise<{ last: number[][]; counters: SourceStateCounters }> => {
      const store = new MemorySourceStateStore({ keyPrefix: `rebalance-${String(followOwnership)}:` });
      let joins = 1;
      const counters = sourceStateCounters();
      const aHeld = heldSources(await pipelineAt(events[0]!.ts), counters);
      const a: Member = { held: aHeld, ...(followOwnership && { release: releaseSourcesOnRebalance(aHeld, { stats: () => ({ groupJoins: joins }) }) }) };
      const b: Member = { held: heldSources(await pipelineAt(events[0]!.ts)) };
      await step(a, store, batchOf(parts[0]!));
      // A rebalance gives the partition to b, which continues the sources from the store ...
      joins += 1;
      await step(b, store, batchOf(parts[1]!));
      // ... and another gives it back to a.
      joins += 1;
      return { last: await step(a, store, batchOf(parts[2]!)), counters };
    };

    const following = await run(true);
    expect(following.last).toEqual(expectedLast);
    expect(following.counters.released).toBeGreaterThan(0);
    // Without it, a continues from the copy it held before the rebalance: other vectors.
    const stale = await run(false);
    expect(stale.last).not.toEqual(expectedLast);
  });
});

describe('per-source feature states across a crash', () => {
  it('a batch read again after a crash continues from the states before it, as one process would have', async () => {
    const n = events.length;
    const cut = [0, Math.floor(n / 4), Math.floor(n / 2), Math.floor((3 * n) / 4), n] as const;
    const expected = vectorsOf(featurize(await pipelineAt(events[0]!.ts))(kafkaBatch(0, n)));

    const run = async (store: SourceStateStore): Promise<{ vectors: number[][]; counters: SourceStateCounters }> => {
      const first: Member = { held: heldSources(await pipelineAt(events[0]!.ts)) };
      await step(first, store, kafkaBatch(cut[0], cut[1])); // committed
      await step(first, store, kafkaBatch(cut[1], cut[2])); // states saved, then the process dies before its commit
      // The restarted process reads again from the committed offset, cut in other batches.
      const counters = sourceStateCounters();
      const restarted: Member = { held: heldSources(await pipelineAt(events[0]!.ts), counters) };
      const middle = Math.floor((cut[1] + cut[2]) / 2);
      const vectors = [
        ...(await step(restarted, store, kafkaBatch(cut[1], middle))),
        ...(await step(restarted, store, kafkaBatch(middle, cut[3]))),
        ...(await step(restarted, store, kafkaBatch(cut[3], cut[4]))),
      ];
      return { vectors, counters };
    };

    const keyPrefix = randomPrefix();
    const redis = await run(new RedisSourceStateStore({ client, keyPrefix }));
    await deleteKeys(client, keyPrefix);
    expect(redis.counters.rewound).toBeGreaterThan(0);
    expect(redis.vectors).toEqual(expected.slice(cut[1]));
    expect(await run(new MemorySourceStateStore({ keyPrefix: 'crash:' }))).toEqual(redis);
    // Continued from the snapshots the crashed attempt saved, its records count twice: other vectors.
    const latestOnly = await run(latestSnapshotOnly(new MemorySourceStateStore({ keyPrefix: 'crash-latest:' })));
    expect(latestOnly.counters.rewound).toBe(0);
    expect(latestOnly.vectors).not.toEqual(expected.slice(cut[1]));
  });
});

describe('per-source feature states, a source over several partitions', () => {
  it('is counted as split once, since its rewind compares only the partitions of the batch at hand', async () => {
    const ip = events[0]!.srcIp;
    const own = events.filter((e) => e.srcIp === ip).slice(0, 6);
    const batch = (from: number, to: number, partition: (i: number) => number): EventBatch => {
      const accepted = own.slice(from, to).map((event, i) => ({ event, position: { kind: 'kafka' as const, topic: 'cowrie', partition: partition(from + i), offset: String(from + i) }, readAt: 0 }));
      return { size: accepted.length, last: accepted.at(-1)!.position, accepted, bad: [] };
    };
    const counters = sourceStateCounters();
    const member: Member = { held: heldSources(await pipelineAt(own[0]!.ts), counters) };
    const store = new MemorySourceStateStore({ keyPrefix: 'split:' });
    await step(member, store, batch(0, 2, () => 0));
    expect(counters.split).toBe(0);
    await step(member, store, batch(2, 4, (i) => i % 2));
    await step(member, store, batch(4, 6, (i) => i % 2));
    expect(counters.split).toBe(1);
    // Split from its very first batch, as unkeyed records are.
    const fromStart = sourceStateCounters();
    const other: Member = { held: heldSources(await pipelineAt(own[0]!.ts), fromStart) };
    const otherStore = new MemorySourceStateStore({ keyPrefix: 'split-start:' });
    await step(other, otherStore, batch(0, 2, (i) => i % 2));
    await step(other, otherStore, batch(2, 4, (i) => i % 2));
    expect(fromStart.split).toBe(1);
  });
});

describe('per-source feature states, records the group reads again', () => {
  it('a stale batch is not saved, and its sources leave memory: the store keeps the states before it', async () => {
    const n = events.length;
    const half = Math.floor(n / 2);
    const store = new MemorySourceStateStore({ keyPrefix: 'stale:' });
    const counters = sourceStateCounters();
    const held = heldSources(await pipelineAt(events[0]!.ts), counters);
    let batch = await restoreSourceStates(store, held)(kafkaBatch(0, half));
    await saveSourceStates(store, held)(featurize(held.pipeline)(batch));
    const ips = [...new Set(events.map((e) => e.srcIp))];
    const before = await store.load(ips);

    batch = await restoreSourceStates(store, held)(kafkaBatch(half, n));
    await saveSourceStates(store, held, { readAgain: () => () => true })(featurize(held.pipeline)(batch));
    const staleSources = new Set(events.slice(half).map((e) => e.srcIp));
    expect(counters.staleSkipped).toBe(staleSources.size);
    expect(await store.load(ips)).toEqual(before);
    for (const ip of staleSources) expect(held.pipeline.holds(ip), ip).toBe(false);
    // Read again, the batch gives the vectors of one pass.
    const again = await restoreSourceStates(store, held)(kafkaBatch(half, n));
    const expected = vectorsOf(featurize(await pipelineAt(events[0]!.ts))(kafkaBatch(0, n)));
    expect(vectorsOf(featurize(held.pipeline)(again))).toEqual(expected.slice(half));
  });

  it('a source on a partition that moved is not saved; the others are', async () => {
    // Two partitions by source: what a member holds after a rebalance took partition 1.
    const ips = [...new Set(events.map((e) => e.srcIp))];
    const partitionOf = (ip: string): number => ips.indexOf(ip) % 2;
    const accepted = events.map((event, i) => ({ event, position: { kind: 'kafka' as const, topic: 'cowrie', partition: partitionOf(event.srcIp), offset: String(i) }, readAt: 0 }));
    const batch: EventBatch = { size: accepted.length, last: accepted.at(-1)!.position, accepted, bad: [] };
    const store = new MemorySourceStateStore({ keyPrefix: 'moved:' });
    const counters = sourceStateCounters();
    const held = heldSources(await pipelineAt(events[0]!.ts), counters);
    const restored = await restoreSourceStates(store, held)(batch);
    await saveSourceStates(store, held, { readAgain: () => (p) => p.kind === 'kafka' && p.partition === 1 })(featurize(held.pipeline)(restored));
    const stored = await store.load(ips);
    ips.forEach((ip, i) => expect(stored[i] === undefined, ip).toBe(partitionOf(ip) === 1));
    ips.forEach((ip) => expect(held.pipeline.holds(ip), ip).toBe(partitionOf(ip) === 0));
    expect(counters.staleSkipped).toBe(ips.filter((ip) => partitionOf(ip) === 1).length);
    expect(counters.staleSkipped).toBeGreaterThan(0);
  });
});

/** A store that keeps no positions and no previous snapshot: what serve had before the rewind. */
function latestSnapshotOnly(store: SourceStateStore): SourceStateStore {
  return {
    load: store.load.bind(store),
    save: (entries) => store.save(entries.map(({ entity, snapshot: { positions: _dropped, ...snapshot } }) => ({ entity, snapshot }))),
  };
}

interface Member {
  held: HeldSources;
  /** Present when the member follows the group's ownership (the stage under test). */
  release?: (batch: EventBatch) => EventBatch;
}
