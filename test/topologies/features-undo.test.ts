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
import { loadSequenceModel } from '../../src/features/behavioral/sequence-model.js';
import { FeaturePipeline } from '../../src/features/pipeline.js';
import { loadFlowClassifier } from '../../src/ensemble/load-flow-classifier.js';
import { initBackend } from '../../src/inference/backend.js';
import type { FlowClassifier } from '../../src/inference/classifier.js';
import { resolveModelDir } from '../../src/registry/resolve-model.js';
import { createV2FeatureGroups } from '../../src/vector/v2/v2-feature-groups.js';
import { createJsonlDecoder } from '../../src/sources/jsonl-flows.js';
import type { Position, RawRecord, RecordSource } from '../../src/sources/record.js';
import type { Settlement } from '../../src/stages/commit-transaction.js';
import type { EventBatch } from '../../src/stages/event-batch.js';
import { sourceStateCounters, type GroupMembership, type SourceStateCounters } from '../../src/stages/source-states.js';
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

interface RunOptions {
  /** Deliver the STALE batch twice (see deliveries). */
  stale: boolean;
  stateStore?: SourceStateStore;
  /** A consumer group whose rebalance makes the STALE batch stale before its states are saved. */
  group?: boolean;
  /** Score flows with this model, and let confident verdicts teach feature 83. */
  model?: FlowClassifier;
  /** A pipeline of its own (default: the shared intel files, 1 h source TTL, outcome lag 1,024). */
  pipeline?: () => Promise<FeaturePipeline>;
}

/**
 * The group of the `group` option: a rebalance starts while the STALE batch's first attempt is
 * in flight, so that attempt is stale when its states are saved, and the next batch sees a new
 * join (every held source released).
 */
function staleGroup(): GroupMembership & { rebalance(): void } {
  let joins = 1;
  let saves = 0;
  return {
    stats: () => ({ groupJoins: joins }),
    readAgain(_last: Position) {
      const stale = saves++ === STALE;
      return () => stale;
    },
    rebalance: () => void (joins += 1),
  };
}

/** The features topology over the deliveries (stale: see deliveries); `settlementOf(i)` settles the i-th batch. */
async function run(settlementOf: (i: number) => Settlement, o: RunOptions): Promise<Run> {
  const { stateStore } = o;
  const pipeline = o.pipeline ? await o.pipeline() : await pipelineAt(Date.parse('2017-07-03T12:00:00Z'));
  const counters = sourceStateCounters();
  const group = o.group ? staleGroup() : undefined;
  const model = o.model;
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
      ...(group && { group }),
      ...(model && { models: { current: () => model } }),
      acknowledge: async () => {
        const s = settlementOf(settled++);
        if (s === 'read-again') group?.rebalance();
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

describe('a stale batch undone, with the rest of the topology at work', () => {
  let classifier: FlowClassifier;
  beforeAll(async () => {
    await initBackend('auto');
    classifier = await loadFlowClassifier(resolveModelDir('v1'));
  });
  afterAll(() => classifier.dispose());

  it('scored flows teaching feature 83, and sources evicted as they go quiet: one pass again', async () => {
    const sequenceModel = await loadSequenceModel();
    // Every source in one of three ASes, so that verdicts move feature 83; outcomes fall due
    // 50 steps on, inside the run; sources quiet for 10 minutes of event time are evicted.
    const asnOf = (ip: string): number => 64500 + (ip.split('.').reduce((a, b) => a + Number(b), 0) % 3);
    const pipeline = async (): Promise<FeaturePipeline> =>
      new FeaturePipeline({ groups: createV2FeatureGroups({ sequenceModel, asnOf }), outcomeLag: 50, sourceTtlMs: 10 * 60_000 });
    const options = { model: classifier, pipeline };
    const onePass = await run(() => 'committed', { ...options, stale: false });
    expect(onePass.counters.evicted).toBeGreaterThan(0);
    const f83 = new Set(onePass.vectors.map((v) => v[82]));
    expect(f83.size).toBeGreaterThan(3);

    const undone = await run(staleOnce, { ...options, stale: true });
    expect(undone.counters.undoneBatches).toBe(1);
    expect(undone.vectors).toEqual(onePass.vectors);
    expect(undone.global).toBe(onePass.global);
    expect(undone.sources).toEqual(onePass.sources);
    const twice = await run(() => 'committed', { ...options, stale: true });
    expect(twice.global).not.toBe(onePass.global);
  });

  it('in a consumer group, a batch already stale when its states were saved: one pass again', async () => {
    const onePass = await run(() => 'committed', { stale: false });
    const stateStore = new MemorySourceStateStore({ keyPrefix: 'undo-group:' });
    const undone = await run(staleOnce, { stale: true, stateStore, group: true });
    // Its sources were not saved, and left memory; the store's snapshots brought them back.
    expect(undone.counters.staleSkipped).toBeGreaterThan(0);
    expect(undone.counters.undoneBatches).toBe(1);
    expect(undone.vectors).toEqual(onePass.vectors);
    expect(undone.global).toBe(onePass.global);
  });
});
