/**
 * Two members of a consumer group share the sources through the state store. A member that
 * loses a partition and gets it back must continue its sources from the store (what the other
 * member stepped meanwhile), not from its own stale copy in memory.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeaturePipeline } from '../../src/features/pipeline.js';
import type { InputEvent } from '../../src/sources/file-source.js';
import type { EventBatch } from '../../src/stages/event-batch.js';
import { featurize } from '../../src/stages/featurize.js';
import { releaseSourcesOnRebalance, restoreSourceStates, saveSourceStates, sourceStateCounters, type SourceStateCounters } from '../../src/stages/source-states.js';
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
afterAll(() => rmSync(inputs.dir, { recursive: true, force: true }));

const pipelineAt = async (ts: number): Promise<FeaturePipeline> => (await openV2Pipeline({ eventTimeMs: ts }, () => undefined)).pipeline;

function batchOf(part: readonly InputEvent[]): EventBatch {
  return { size: part.length, last: null, accepted: part.map((event, line) => ({ event, position: { kind: 'file', file: 'cowrie', line }, readAt: 0 })), bad: [] };
}

/** One member's state stages around featurize, as the features topology runs them; returns the batch's vectors. */
async function step(member: Member, store: SourceStateStore, counters: SourceStateCounters, part: readonly InputEvent[]): Promise<number[][]> {
  let batch = batchOf(part);
  if (member.release) batch = member.release(batch);
  batch = await restoreSourceStates(store, member.pipeline, counters)(batch);
  batch = featurize(member.pipeline)(batch);
  await saveSourceStates(store, member.pipeline, counters)(batch);
  return part.map((_, i) => Array.from(batch.vectors!.subarray(i * 100, (i + 1) * 100)));
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
      const aPipeline = await pipelineAt(events[0]!.ts);
      const a: Member = { pipeline: aPipeline, ...(followOwnership && { release: releaseSourcesOnRebalance(aPipeline, () => joins, counters) }) };
      const b: Member = { pipeline: await pipelineAt(events[0]!.ts) };
      await step(a, store, counters, parts[0]!);
      // A rebalance gives the partition to b, which continues the sources from the store ...
      joins += 1;
      await step(b, store, sourceStateCounters(), parts[1]!);
      // ... and another gives it back to a.
      joins += 1;
      return { last: await step(a, store, counters, parts[2]!), counters };
    };

    const following = await run(true);
    expect(following.last).toEqual(expectedLast);
    expect(following.counters.released).toBeGreaterThan(0);
    // Without it, a continues from the copy it held before the rebalance: other vectors.
    const stale = await run(false);
    expect(stale.last).not.toEqual(expectedLast);
  });
});

interface Member {
  pipeline: FeaturePipeline;
  /** Present when the member follows the group's ownership (the stage under test). */
  release?: (batch: EventBatch) => EventBatch;
}
