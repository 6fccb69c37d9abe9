import { beforeAll, describe, expect, it } from 'vitest';
import type { FlowEvent } from '../../src/events/flow-event.js';
import { loadSequenceModel, type SequenceModel } from '../../src/features/behavioral/sequence-model.js';
import { FeaturePipeline } from '../../src/features/pipeline.js';
import { createV2FeatureGroups } from '../../src/vector/v2/v2-feature-groups.js';

/**
 * Feature 83 learns ASN reputation from outcomes folded in `outcomeLag` steps after their
 * event: at a step count, never at whatever moment a verdict arrived, so replays cut into
 * other micro-batches give the same vectors.
 */
const ASN_OF: Record<string, number> = { '203.0.113.7': 64500, '203.0.113.8': 64500, '198.51.100.9': 64501 };
const asnOf = (ip: string): number | undefined => ASN_OF[ip];
const F83 = 82;

let model: SequenceModel;
beforeAll(async () => {
  model = await loadSequenceModel();
});

function flow(i: number, srcIp: string): FlowEvent {
  return { eventId: `e${i}`, srcIp, srcPort: 40000 + i, dstIp: '10.0.0.1', dstPort: 80, protocol: 6, ts: 1_500_000_000_000 + i * 1000, features: {}, label: null };
}

/** 60 flows from three public sources, two of them in one AS. */
const EVENTS = Array.from({ length: 60 }, (_, i) => flow(i, ['203.0.113.7', '198.51.100.9', '203.0.113.8'][i % 3]!));
/** An attack verdict for each flow of 203.0.113.7, a benign one for the others. */
const isAttack = (e: FlowEvent): boolean => e.srcIp === '203.0.113.7';

function pipeline(outcomeLag: number): FeaturePipeline {
  return new FeaturePipeline({ groups: createV2FeatureGroups({ sequenceModel: model, asnOf }), outcomeLag });
}

/** Steps EVENTS in micro-batches of `batch`, then reports each batch's outcomes, as a topology does. */
function run(p: FeaturePipeline, batch: number): number[][] {
  const vectors: number[][] = [];
  for (let start = 0; start < EVENTS.length; start += batch) {
    const slice = EVENTS.slice(start, start + batch);
    const first = p.stepped;
    for (const e of slice) vectors.push(Array.from(p.step(e)));
    slice.forEach((e, i) => p.observeOutcome(first + i, { srcIp: e.srcIp, isAttack: isAttack(e), ts: e.ts }));
  }
  return vectors;
}

describe('outcome feedback into feature 83', () => {
  it('moves each AS reputation from its prior, up for the attacking AS and down for the benign one', () => {
    const v = run(pipeline(8), 4);
    const prior = v[0]![F83]!;
    expect(v.slice(0, 8).every((x) => x[F83] === prior)).toBe(true);
    expect(v.at(-3)![F83]).toBeGreaterThan(prior); // 203.0.113.7, AS 64500
    expect(v.at(-2)![F83]).toBeLessThan(prior); // 198.51.100.9, AS 64501
    expect(v.at(-1)![F83]).toBeGreaterThan(prior); // 203.0.113.8 never attacked, but shares AS 64500
  });

  it('gives the same vectors whatever the micro-batch size, up to the lag', () => {
    const reference = run(pipeline(8), 8);
    for (const batch of [1, 3, 5, 7]) expect(run(pipeline(8), batch)).toEqual(reference);
  });

  it('folds an outcome in exactly outcomeLag steps after its event', () => {
    const p = pipeline(5);
    const prior = p.step(EVENTS[0]!)[F83]!;
    p.observeOutcome(0, { srcIp: '203.0.113.7', isAttack: true, ts: EVENTS[0]!.ts });
    const seen = EVENTS.slice(1, 8).map((e) => p.step({ ...e, srcIp: '203.0.113.8' })[F83]!);
    expect(seen.slice(0, 4)).toEqual([prior, prior, prior, prior]);
    expect(seen[4]).toBeGreaterThan(prior);
  });

  it('refuses an outcome for a step not taken or out of order', () => {
    const p = pipeline(5);
    p.step(EVENTS[0]!);
    p.step(EVENTS[1]!);
    expect(() => p.observeOutcome(2, { srcIp: 'x', isAttack: true, ts: 0 })).toThrow(/out of order/);
    p.observeOutcome(1, { srcIp: '203.0.113.7', isAttack: true, ts: 0 });
    expect(() => p.observeOutcome(0, { srcIp: '203.0.113.7', isAttack: true, ts: 0 })).toThrow(/out of order/);
  });

  it('continues exactly from a global checkpoint taken with outcomes still pending', () => {
    const reference = run(pipeline(8), 4);
    const a = pipeline(8);
    const firstHalf: number[][] = [];
    for (let start = 0; start < 32; start += 4) {
      const slice = EVENTS.slice(start, start + 4);
      const first = a.stepped;
      for (const e of slice) firstHalf.push(Array.from(a.step(e)));
      slice.forEach((e, i) => a.observeOutcome(first + i, { srcIp: e.srcIp, isAttack: isAttack(e), ts: e.ts }));
    }
    const checkpoint = JSON.parse(JSON.stringify(a.globalCheckpoint()));
    expect(checkpoint.pending.length).toBeGreaterThan(0);
    const b = pipeline(8);
    b.restoreGlobal(checkpoint);
    for (const ip of new Set(EVENTS.map((e) => e.srcIp))) b.restore(ip, a.source(ip)!);
    const rest: number[][] = [];
    for (let start = 32; start < EVENTS.length; start += 4) {
      const slice = EVENTS.slice(start, start + 4);
      const first = b.stepped;
      for (const e of slice) rest.push(Array.from(b.step(e)));
      slice.forEach((e, i) => b.observeOutcome(first + i, { srcIp: e.srcIp, isAttack: isAttack(e), ts: e.ts }));
    }
    expect([...firstHalf, ...rest]).toEqual(reference);
  });
});
