/**
 * Exactly-once mode drops a batch whose transaction a rebalance made stale, and the group
 * delivers its records again, here in the tests to the same process. The features topology
 * must then fold them once: the global (graph) states and every source's state as after one
 * pass, with or without a state store.
 */
import { rmSync } from 'node:fs';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featuresTopology } from '../../topologies/features.js';
import type { FlowEvent } from '../../src/events/flow-event.js';
import type { FeaturePipeline } from '../../src/features/pipeline.js';
import { createJsonlDecoder } from '../../src/sources/jsonl-flows.js';
import type { RawRecord, RecordSource } from '../../src/sources/record.js';
import type { Settlement } from '../../src/stages/commit-transaction.js';
import type { EventBatch } from '../../src/stages/event-batch.js';
import { sourceStateCounters, type SourceStateCounters } from '../../src/stages/source-states.js';
import { MemorySourceStateStore } from '../../src/store/memory/memory-source-state-store.js';
import { RedisSourceStateStore } from '../../src/store/redis/redis-source-state-store.js';
import { encodeSnapshot, type SourceStateStore } from '../../src/store/source-state-store.js';
import { openV2Pipeline } from '../../src/vector/v2/open-v2-pipeline.js';
import { decodeAll, writeV2Inputs, type V2Inputs } from '../features/v2-fixtures.js';
import { deleteKeys, randomPrefix, testClient } from '../store/redis-test-client.js';

let inputs: V2Inputs;
/** Real CICIDS2017 flows of every class, as JSON records of one Kafka partition (offset = index). */
let records: RawRecord[];
beforeAll(async () => {
  inputs = writeV2Inputs();
  const flows = (await decodeAll(inputs.csv)).events as FlowEvent[];
  records = flows.map((flow, i) => {
    const text = JSON.stringify(flow);
    return { position: { kind: 'kafka', topic: 'flows', partition: 0, offset: String(i) }, text, byteLength: text.length, readAt: 0 };
  });
});
const client = testClient();
afterAll(async () => {
  rmSync(inputs.dir, { recursive: true, force: true });
  await client.quit();
});

const BATCH = 40;
/** The batch whose first attempt a rebalance makes stale: its records come again right after it. */
const STALE = 2;

/** Batches of BATCH records; with `stale`, the STALE one twice, as a group delivers it after the rebalance. */
function deliveries(stale: boolean): RawRecord[][] {
  const batches: RawRecord[][] = [];
  for (let start = 0; start < records.length; start += BATCH) batches.push(records.slice(start, start + BATCH));
  return stale ? [...batches.slice(0, STALE + 1), batches[STALE]!, ...batches.slice(STALE + 1)] : batches;
}

function replaying(batches: RawRecord[][]): RecordSource {
  return {
    name: 'replay',
    async *batches() {
      for (const b of batches) yield b;
    },
    markDurable: () => undefined,
  };
}

const pipelineAt = async (ts: number): Promise<FeaturePipeline> => (await openV2Pipeline({ eventTimeMs: ts }, () => undefined)).pipeline;
const vectorsOf = (batch: EventBatch): number[][] => batch.accepted.map((_, i) => Array.from(batch.vectors!.subarray(i * 100, (i + 1) * 100)));
const globalOf = (p: FeaturePipeline): string => encodeSnapshot({ layout: p.layout, states: [p.globalCheckpoint()], lastTs: 0 });

interface Run {
  /** Vectors of the batches that committed, in order. */
  vectors: number[][];
  global: string;
  /** Each source's held state, encoded. */
  sources: Map<string, string>;
  counters: SourceStateCounters;
}

/** The features topology over the deliveries (stale: see deliveries); `settlementOf(i)` settles the i-th batch. */
async function run(settlementOf: (i: number) => Settlement, o: { stale: boolean; stateStore?: SourceStateStore }): Promise<Run> {
  const { stateStore } = o;
  const pipeline = await pipelineAt(Date.parse('2017-07-03T12:00:00Z'));
  const counters = sourceStateCounters();
  let settled = 0;
  const outcomes: Settlement[] = [];
  const batches = await lastValueFrom(
    featuresTopology({
      source: replaying(deliveries(o.stale)),
      decoder: createJsonlDecoder(),
      deadLetters: { write: async () => undefined },
      pipeline,
      batch: { maxSize: BATCH, maxWaitMs: 1000 },
      counters,
      ...(stateStore && { stateStore }),
      acknowledge: async () => {
        const s = settlementOf(settled++);
        outcomes.push(s);
        return s;
      },
    }).pipe(toArray()),
  );
  const vectors = batches.filter((_, i) => outcomes[i] === 'committed').flatMap(vectorsOf);
  const sources = new Map<string, string>();
  for (const r of records) {
    const ip = (JSON.parse(r.text) as FlowEvent).srcIp;
    const held = pipeline.source(ip);
    if (held) sources.set(ip, encodeSnapshot({ layout: pipeline.layout, states: held.states, lastTs: held.lastTs }));
  }
  return { vectors, global: globalOf(pipeline), sources, counters };
}

const staleOnce = (i: number): Settlement => (i === STALE ? 'read-again' : 'committed');

describe('a batch dropped as stale and delivered again to the same process', () => {
  let onePass: Run;
  beforeAll(async () => {
    onePass = await run(() => 'committed', { stale: false });
  });

  it('is folded once: the vectors, global (graph) states and source states of one pass', async () => {
    // The topology's one pass gives the vectors of the pipeline stepped over every event.
    const reference = await pipelineAt(Date.parse('2017-07-03T12:00:00Z'));
    const events = records.map((r) => createJsonlDecoder().decode(r)).map((d) => (d.ok ? d.value : undefined)).filter((e) => e !== undefined);
    expect(onePass.vectors).toEqual(events.map((e) => Array.from(reference.step(e))));
    expect(onePass.sources.size).toBeGreaterThan(0);

    const undone = await run(staleOnce, { stale: true });
    expect(undone.counters.undoneBatches).toBe(1);
    expect(undone.vectors).toEqual(onePass.vectors);
    expect(undone.global).toBe(onePass.global);
    expect(undone.sources).toEqual(onePass.sources);
    // Left folded in, the first attempt counts twice: other vectors and graph states.
    const twice = await run(() => 'committed', { stale: true });
    expect(twice.vectors.slice(STALE * BATCH)).not.toEqual(onePass.vectors.slice(STALE * BATCH));
    expect(twice.global).not.toBe(onePass.global);
  });

  it('gives the states of one pass through a state store as well, Redis and memory', async () => {
    const keyPrefix = randomPrefix();
    try {
      for (const stateStore of [new RedisSourceStateStore({ client, keyPrefix }), new MemorySourceStateStore({ keyPrefix: 'undo:' })]) {
        const stored = await run(staleOnce, { stale: true, stateStore });
        expect(stored.counters.undoneBatches).toBe(1);
        // The stale batch's sources left memory and came back from the snapshot before it.
        expect(stored.counters.rewound).toBeGreaterThan(0);
        expect(stored.vectors).toEqual(onePass.vectors);
        expect(stored.global).toBe(onePass.global);
        expect(stored.sources).toEqual(onePass.sources);
      }
    } finally {
      await deleteKeys(client, keyPrefix);
    }
  });
});
