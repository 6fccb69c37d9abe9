import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { baselineStats, baselineUpdate, BASELINE_FAMILY, BASELINE_FEATURES } from '../../src/aggregate/baseline-features.js';
import { naiveMax, naiveMin, naiveMoments } from '../../src/aggregate/naive-reference.js';
import type { FlowEvent } from '../../src/events/flow-event.js';
import { StoreError, type KeyFamily, type OnlineStore, type StateUpdate } from '../../src/store/online-store.js';
import { mulberry32 } from '../../src/training/rng.js';
import { expectRecordClose } from '../aggregate/generated-events.js';

/**
 * The behaviour every OnlineStore must show, written once and run against each implementation
 * (memory-online-store.test.ts, redis-online-store.test.ts) through a harness that owns the
 * backend and how time passes.
 */
export interface ContractHarness {
  /** A store on this test's backend; stores made with different prefixes share the backend. */
  createStore(options: { keyPrefix: string; families: readonly KeyFamily[] }): OnlineStore;
  /** A key prefix unique to this test; a harness removes every key under it in `cleanup`. */
  readonly keyPrefix: string;
  /** Lets `ms` of time pass as far as TTLs are concerned. */
  advance(ms: number): Promise<void>;
  /** A TTL short enough for expiry cases to wait out. */
  readonly shortTtlMs: number;
  cleanup(): Promise<void>;
}

const COUNTERS: KeyFamily = { name: 'counters', ttlMs: 60_000 };

/** `n` flows from `ips` source IPs with random values, some missing, for the first 20 features. */
export function generatedFlows(seed: number, n: number, ips: number): Pick<FlowEvent, 'srcIp' | 'features' | 'ts'>[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const features: Record<string, number> = {};
    for (const f of BASELINE_FEATURES) features[f.name] = rng() < 0.1 ? Number.NaN : Math.round(rng() * 10 ** (1 + (i % 5))) / 8;
    return { srcIp: `192.168.7.${Math.floor(rng() * ips)}`, features, ts: 1_700_000_000_000 + i };
  });
}

function counterUpdate(entity: string, partition: number, offset: number, fold: StateUpdate['fold'] = { add: { n: 1 } }): StateUpdate {
  return { family: COUNTERS.name, entity, position: { partition, offset }, fold };
}

export function describeOnlineStoreContract(name: string, makeHarness: () => Promise<ContractHarness>): void {
  describe(`${name}: the OnlineStore contract`, () => {
    let harness: ContractHarness;
    let store: OnlineStore;
    beforeEach(async () => {
      harness = await makeHarness();
      store = harness.createStore({ keyPrefix: harness.keyPrefix, families: [BASELINE_FAMILY, COUNTERS] });
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    it('answers absent keys with undefined, in the order asked, repeats included', async () => {
      await store.applyBatch([counterUpdate('b', 0, 0)]);
      const states = await store.getMany([
        { family: COUNTERS.name, entity: 'a' },
        { family: COUNTERS.name, entity: 'b' },
        { family: COUNTERS.name, entity: 'a' },
        { family: COUNTERS.name, entity: 'b' },
      ]);
      expect(states.map((s) => s?.fields.n)).toEqual([undefined, 1, undefined, 1]);
      expect(await store.getMany([])).toEqual([]);
    });

    it('holds the baseline features of every source IP after one batch', async () => {
      const flows = generatedFlows(11, 120, 6);
      const result = await store.applyBatch(flows.map((f, i) => baselineUpdate(f, { partition: 0, offset: i })));
      expect(result).toEqual({ applied: 120, skipped: 0 });
      const ips = [...new Set(flows.map((f) => f.srcIp))].sort();
      const states = await store.getMany(ips.map((entity) => ({ family: BASELINE_FAMILY.name, entity })));
      ips.forEach((ip, k) => {
        const stats = baselineStats(states[k]);
        const mine = flows.filter((f) => f.srcIp === ip);
        for (const f of BASELINE_FEATURES) {
          const expected = naiveMoments(mine.map((flow) => ({ value: flow.features[f.name]!, ts: flow.ts })));
          expectRecordClose(stats[f.name]!, expected, 1e-9);
        }
        expect(states[k]!.positions).toEqual({ 0: flows.map((f, i) => (f.srcIp === ip ? i : -1)).reduce((a, b) => Math.max(a, b)) });
      });
    });

    it('keeps the smallest and largest values with min and max folds', async () => {
      const values = [5, -2.5, 7.25, 0, 7.25, -3, 1e-9];
      await store.applyBatch(values.map((v, i) => counterUpdate('x', 0, i, { min: { lo: v }, max: { hi: v } })));
      const [state] = await store.getMany([{ family: COUNTERS.name, entity: 'x' }]);
      const events = values.map((value, ts) => ({ value, ts }));
      expect(state!.fields).toEqual({ lo: naiveMin(events), hi: naiveMax(events) });
    });

    it('skips a redelivered position and applies newer ones, per partition', async () => {
      await store.applyBatch([0, 1, 2, 3, 4].map((o) => counterUpdate('k', 0, o)));
      // A redelivery from offset 3 on, mixed with a new partition whose offsets start low.
      const again = await store.applyBatch([
        ...[3, 4, 5, 6].map((o) => counterUpdate('k', 0, o)),
        counterUpdate('k', 1, 0),
        counterUpdate('k', 1, 0),
      ]);
      expect(again).toEqual({ applied: 3, skipped: 3 });
      const [state] = await store.getMany([{ family: COUNTERS.name, entity: 'k' }]);
      expect(state).toEqual({ fields: { n: 8 }, positions: { 0: 6, 1: 0 } });
    });

    it('expires a key its TTL after the last write', async () => {
      const short = harness.createStore({ keyPrefix: harness.keyPrefix, families: [{ name: 'brief', ttlMs: harness.shortTtlMs }] });
      await short.applyBatch([{ family: 'brief', entity: 'ip', position: { partition: 0, offset: 0 }, fold: { add: { n: 1 } } }]);
      await short.putMany([{ family: 'brief', entity: 'put', state: { fields: { n: 1 }, positions: {} } }]);
      const keys = [{ family: 'brief', entity: 'ip' }, { family: 'brief', entity: 'put' }];
      expect((await short.getMany(keys)).map((s) => s?.fields.n)).toEqual([1, 1]);
      await harness.advance(harness.shortTtlMs * 1.4);
      expect(await short.getMany(keys)).toEqual([undefined, undefined]);
    });

    it('refreshes the TTL on each applied update', async () => {
      const ttl = harness.shortTtlMs;
      const short = harness.createStore({ keyPrefix: harness.keyPrefix, families: [{ name: 'brief', ttlMs: ttl }] });
      const update = (offset: number): StateUpdate => ({ family: 'brief', entity: 'ip', position: { partition: 0, offset }, fold: { add: { n: 1 } } });
      const key = [{ family: 'brief', entity: 'ip' }];
      await short.applyBatch([update(0)]);
      await harness.advance(ttl * 0.6);
      await short.applyBatch([update(1)]);
      await harness.advance(ttl * 0.6); // 1.2 TTL after the first write, 0.6 after the second
      expect((await short.getMany(key))[0]?.fields.n).toBe(2);
      await harness.advance(ttl * 0.7);
      expect(await short.getMany(key)).toEqual([undefined]);
    });

    it('isolates stores with different key prefixes on one backend', async () => {
      const other = harness.createStore({ keyPrefix: `${harness.keyPrefix}other:`, families: [COUNTERS] });
      await store.applyBatch([counterUpdate('ip', 0, 0, { add: { n: 5 } })]);
      const key = [{ family: COUNTERS.name, entity: 'ip' }];
      expect(await other.getMany(key)).toEqual([undefined]);
      // The same position is new to the other store: positions are per key, and keys differ.
      expect(await other.applyBatch([counterUpdate('ip', 0, 0, { add: { n: 1 } })])).toEqual({ applied: 1, skipped: 0 });
      expect((await store.getMany(key))[0]?.fields.n).toBe(5);
      expect((await other.getMany(key))[0]?.fields.n).toBe(1);
    });

    it('putMany replaces fields and positions, which later updates then respect', async () => {
      await store.applyBatch([counterUpdate('ip', 0, 9, { add: { n: 3, old: 1 } })]);
      await store.putMany([{ family: COUNTERS.name, entity: 'ip', state: { fields: { n: 10 }, positions: { 0: 20 } } }]);
      const result = await store.applyBatch([counterUpdate('ip', 0, 20), counterUpdate('ip', 0, 21)]);
      expect(result).toEqual({ applied: 1, skipped: 1 });
      const key = { family: COUNTERS.name, entity: 'ip' };
      expect(await store.getMany([key])).toEqual([{ fields: { n: 11 }, positions: { 0: 21 } }]);
      await store.putMany([{ ...key, state: { fields: {}, positions: {} } }]);
      expect(await store.getMany([key])).toEqual([undefined]);
    });

    it('rejects a batch with an invalid update whole, as a non-retriable StoreError', async () => {
      const bad = [counterUpdate('ok', 0, 0), counterUpdate('bad', 0, 1, { add: { n: Number.NaN } })];
      const error = await store.applyBatch(bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).retriable).toBe(false);
      expect((error as StoreError).operation).toBe('applyBatch');
      expect((error as StoreError).message).toMatch(/update 1 \(\S+ bad\) add\.n is NaN, expected a finite number/);
      await expect(store.applyBatch([{ ...counterUpdate('x', 0, 0), family: 'nope' }])).rejects.toThrow(/unknown key family "nope"/);
      await expect(store.applyBatch([counterUpdate('x', 0, -1)])).rejects.toThrow(/update 0 \(\S+ x\): offset -1 must be a non-negative/);
      await expect(store.applyBatch([counterUpdate('x', 0, 0, { add: { '@p:0': 1 } })])).rejects.toThrow(/update 0 \(\S+ x\) add: field name "@p:0" must be non-empty/);
      expect(await store.getMany([{ family: COUNTERS.name, entity: 'ok' }])).toEqual([undefined]);
    });
  });
}
