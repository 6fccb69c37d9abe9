import { beforeAll, describe, expect, it } from 'vitest';
import type { FlowEvent } from '../../src/events/flow-event.js';
import { isSecurityEvent, type SecurityEvent } from '../../src/events/security-events.js';
import { loadSequenceModel, type SequenceModel } from '../../src/features/behavioral/sequence-model.js';
import type { FeatureGroup } from '../../src/features/feature-group.js';
import { FeaturePipeline, NO_FLOW_GRAPH_VALUE, SINGLE_MODEL_AGREEMENT } from '../../src/features/pipeline.js';
import { projectVector } from '../../src/features/registry.js';
import { V2_MISSING_FLOW_VALUES } from '../../src/features/vector-v2.js';
import { initBackend } from '../../src/inference/backend.js';
import { loadClassifier, type Classifier } from '../../src/inference/classifier.js';
import { staticLookup } from '../../src/intel/key-lookup.js';
import { resolveModelDir } from '../../src/registry/resolve-model.js';
import type { InputEvent } from '../../src/sources/file-source.js';
import { flowVector, flowVectors } from '../../src/vector/flow-vector.js';
import { createV2FeatureGroups, type V2GroupResources } from '../../src/vector/v2/v2-feature-groups.js';
import { decodeAll, ORIGINAL_CSV, writeV2Inputs } from './v2-fixtures.js';

let model: SequenceModel;
let flows: FlowEvent[];
/** Original-format flows, some with missing (Infinity / NaN) features. */
let original: FlowEvent[];
let cowrie: SecurityEvent[];
let sshd: SecurityEvent[];

function pipeline(extra: Partial<V2GroupResources> = {}, agreement?: (x: Float64Array) => number): FeaturePipeline {
  const groups = createV2FeatureGroups({ sequenceModel: model, ...extra });
  return new FeaturePipeline(agreement ? { groups, agreement } : { groups });
}

beforeAll(async () => {
  model = await loadSequenceModel();
  const inputs = writeV2Inputs();
  const [f, c, s, o] = await Promise.all([decodeAll(inputs.csv), decodeAll(inputs.cowrie), decodeAll(inputs.sshd), decodeAll(ORIGINAL_CSV)]);
  flows = f.events as FlowEvent[];
  original = o.events as FlowEvent[];
  cowrie = c.events as SecurityEvent[];
  sshd = s.events as SecurityEvent[];
});

describe('FeaturePipeline on real CICIDS, Cowrie and sshd events', () => {
  it('decodes the three slices into flows and security events', () => {
    expect(flows.length).toBe(209);
    expect(original.length).toBe(299);
    expect(cowrie.length).toBeGreaterThan(100);
    expect(sshd.length).toBeGreaterThan(20);
    expect(flows.every((e) => !isSecurityEvent(e))).toBe(true);
    expect([...cowrie, ...sshd].every(isSecurityEvent)).toBe(true);
  });

  it('gives every event exactly 100 finite numbers', () => {
    const p = pipeline();
    const events: InputEvent[] = [...flows, ...original, ...cowrie, ...sshd];
    const vectors = p.replay(events);
    expect(vectors).toHaveLength(events.length);
    for (const v of vectors) {
      expect(v).toHaveLength(100);
      expect(v.every(Number.isFinite)).toBe(true);
    }
    expect(p.sourceCount).toBe(new Set(events.map((e) => e.srcIp)).size);
  });

  it("puts v1's flowVector in dims 1-79 of a flow (min - 1 where v1 has NaN)", () => {
    const all = [...flows, ...original];
    const vectors = pipeline().replay(all);
    let missingSeen = 0;
    all.forEach((flow, r) => {
      const v1 = flowVector(flow);
      for (let i = 0; i < 79; i++) {
        if (Number.isFinite(v1[i]!)) expect(vectors[r]![i]).toBe(v1[i]);
        else {
          missingSeen++;
          expect(vectors[r]![i]).toBe(V2_MISSING_FLOW_VALUES[i]);
        }
      }
    });
    // The graph features of flows are live: a flow counts its own destination.
    expect(vectors.every((v) => v[94]! >= 1)).toBe(true);
    // The original CSV's Infinity / NaN rates did come through as missing.
    expect(missingSeen).toBeGreaterThan(0);
  });

  it('gives security events all-missing flow dims, graph value 0, and behavioral features that move', () => {
    const events = [...cowrie, ...sshd];
    const vectors = pipeline().replay(events);
    for (const v of vectors) {
      expect(Array.from(v.subarray(0, 79))).toEqual(Array.from(V2_MISSING_FLOW_VALUES));
      expect(Array.from(v.subarray(94, 99))).toEqual(new Array(5).fill(NO_FLOW_GRAPH_VALUE));
      expect(v[99]).toBe(SINGLE_MODEL_AGREEMENT);
    }
    // 94 failed_auth_pattern: failing runs in (0, 1) are seen in both logs.
    const failing = (from: number, to: number) => vectors.slice(from, to).some((v) => v[93]! > 0 && v[93]! < 1);
    expect(failing(0, cowrie.length)).toBe(true);
    expect(failing(cowrie.length, events.length)).toBe(true);
    // 85-89: the LSTM steps on security events.
    expect(vectors.some((v) => v.subarray(84, 89).some((x) => x !== 0))).toBe(true);
  });

  it('routes security events to the threat-intel groups by their source address', () => {
    const attacker = cowrie[0]!.srcIp;
    const p = pipeline({ torList: { has: (ip) => ip === attacker }, ipReputation: staticLookup([[attacker, 0.75]]) });
    const [v] = p.replay([cowrie[0]!]);
    expect(v![80]).toBe(0.75); // 81 ip_reputation
    expect(v![83]).toBe(1); // 84 tor_exit
    const [other] = p.replay([{ ...cowrie[0]!, srcIp: '8.8.8.8' }]);
    expect(other![80]).toBe(-1);
    expect(other![83]).toBe(0);
  });

  it('is a function of the event sequence: two fresh pipelines agree, and per-source state does not leak', () => {
    const events: InputEvent[] = [...cowrie.slice(0, 60), ...flows.slice(0, 60), ...sshd.slice(0, 40)];
    const a = pipeline().replay(events);
    const b = pipeline().replay(events);
    expect(b).toEqual(a);
    // A source's behavioral features depend only on its own events (graph and ASN groups are global).
    const src = cowrie[0]!.srcIp;
    const own = events.filter((e) => e.srcIp === src);
    const alone = pipeline().replay(own);
    const mixed = a.filter((_, i) => events[i]!.srcIp === src);
    expect(mixed.map((v) => Array.from(v.subarray(84, 94)))).toEqual(alone.map((v) => Array.from(v.subarray(84, 94))));
  });

  it('takes feature 100 from an injected agreement score over dims 1-99, refusing one outside [0, 1]', () => {
    let seenDims = 0;
    const [v] = pipeline({}, (x) => {
      seenDims = x.length;
      return 0.5;
    }).replay([flows[0]!]);
    expect(seenDims).toBe(99);
    expect(v![99]).toBe(0.5);
    expect(() => pipeline({}, () => 1.5).step(flows[0]!)).toThrow(/agreement score \(feature 100\) gave 1.5/);
  });

  it('refuses groups that leave a feature unfilled, fill one twice, or give non-finite values', () => {
    const groups = createV2FeatureGroups({ sequenceModel: model });
    expect(() => new FeaturePipeline({ groups: { ...groups, graph: groups.graph.slice(1) } })).toThrow(/no group fills feature\(s\) 95/);
    expect(() => new FeaturePipeline({ groups: { ...groups, graph: [...groups.graph, groups.graph[0]!] } })).toThrow(/feature 95 is filled by both/);
    const broken: FeatureGroup<null, FlowEvent> = { name: 'broken', slots: [95], scope: 'source', init: () => null, step: (s) => ({ state: s, values: [Number.NaN] }) };
    const p = new FeaturePipeline({ groups: { ...groups, graph: [broken as FeatureGroup<unknown, FlowEvent>, ...groups.graph.slice(1)] } });
    expect(() => p.step(flows[0]!)).toThrow(/group broken gave NaN for feature 95/);
  });
});

describe('a v1 model on v2 vectors', () => {
  let classifier: Classifier;
  beforeAll(async () => {
    await initBackend('auto');
    classifier = await loadClassifier(resolveModelDir('v1'));
  });

  it('predicts the same through the v2 -> v1 projection as on the v1 vectors', () => {
    expect(classifier.featureVersion).toBe(1);
    const all = [...flows, ...original]; // with missing values, which must come back as NaN
    const v2 = pipeline().replay(all);
    const projected = new Float32Array(all.length * 79);
    v2.forEach((v, i) => projected.set(projectVector(v, 2, 1), i * 79));
    const direct = classifier.predictBatch(flowVectors(all), all.length);
    const viaV2 = classifier.predictBatch(projected, all.length);
    expect(Array.from(viaV2.predicted)).toEqual(Array.from(direct.predicted));
    expect(Array.from(viaV2.probs)).toEqual(Array.from(direct.probs));
    // Not a degenerate sample: the model sees several classes in it.
    expect(new Set(direct.predicted).size).toBeGreaterThan(1);
  });
});

describe('FeaturePipeline source TTL', () => {
  /** Features 85-94: the behavioral groups, all keyed by source. */
  const behavioral = (v: Float64Array): number[] => Array.from(v.subarray(84, 94));

  it('starts a source afresh after it was quiet longer than sourceTtlMs, and continues it before', () => {
    const source = cowrie[0]!.srcIp;
    const events = cowrie.filter((e) => e.srcIp === source);
    expect(events.length).toBeGreaterThan(3);
    const span = events.at(-1)!.ts - events[0]!.ts;
    const ttl = span + 60_000;
    const shifted = (gap: number) => events.map((e) => ({ ...e, ts: e.ts + span + gap }));

    const fresh = new FeaturePipeline({ groups: createV2FeatureGroups({ sequenceModel: model }), sourceTtlMs: ttl }).replay(events).map(behavioral);
    const p = new FeaturePipeline({ groups: createV2FeatureGroups({ sequenceModel: model }), sourceTtlMs: ttl });
    p.replay(events);
    expect(p.replay(shifted(ttl + 1)).map(behavioral)).toEqual(fresh);

    const q = new FeaturePipeline({ groups: createV2FeatureGroups({ sequenceModel: model }), sourceTtlMs: ttl });
    q.replay(events);
    expect(q.replay(shifted(1_000)).map(behavioral)).not.toEqual(fresh);
  });
});

describe('FeaturePipeline mark and rewind', () => {
  const sourcesOf = (p: FeaturePipeline, events: readonly InputEvent[]): (string | undefined)[] =>
    [...new Set(events.map((e) => e.srcIp))].map((ip) => JSON.stringify(p.source(ip)));

  it('undoes the steps and outcomes since the mark: stepped again, the events give the vectors of one pass', () => {
    const events: InputEvent[] = [...flows.slice(0, 60), ...cowrie.slice(0, 40)].sort((a, b) => a.ts - b.ts);
    const onePass = pipeline();
    const expected = onePass.replay(events).map((v) => Array.from(v));

    const p = pipeline();
    const head = p.replay(events.slice(0, 50)).map((v) => Array.from(v));
    const mark = p.mark();
    const tail = events.slice(50);
    p.replay(tail);
    tail.forEach((e, i) => p.observeOutcome(50 + i, { srcIp: e.srcIp, isAttack: true, ts: e.ts }));
    const stepped = p.rewind(mark);
    expect(new Set(stepped)).toEqual(new Set(tail.map((e) => e.srcIp)));
    expect(p.stepped).toBe(50);
    expect(p.globalCheckpoint().pending).toEqual([]);
    expect([...head, ...p.replay(tail).map((v) => Array.from(v))]).toEqual(expected);
    expect(JSON.stringify(p.globalCheckpoint())).toBe(JSON.stringify(onePass.globalCheckpoint()));
    expect(sourcesOf(p, events)).toEqual(sourcesOf(onePass, events));
  });

  it('drops a source new since the mark, and holds again one stepped, evicted or released since', () => {
    const ips = [...new Set(flows.map((f) => f.srcIp))];
    expect(ips.length).toBeGreaterThanOrEqual(3);
    const [a, b, c] = ips.map((ip) => flows.find((f) => f.srcIp === ip)!);
    const p = pipeline();
    p.step(a!);
    p.step(c!);
    const [aBefore, cBefore] = [p.source(a!.srcIp), p.source(c!.srcIp)];
    const mark = p.mark();
    p.step({ ...a!, ts: a!.ts + 1 });
    p.step(b!);
    // c is not stepped after the mark, only dropped from memory: evicted, as a batch's newest
    // event may do to a quiet source of another partition.
    expect(p.evictIdle(Math.max(a!.ts, c!.ts) + 10, 0)).toEqual(expect.arrayContaining([a!.srcIp, c!.srcIp]));
    p.rewind(mark);
    expect(p.source(a!.srcIp)).toBe(aBefore);
    expect(p.source(c!.srcIp)).toBe(cBefore);
    expect(p.holds(b!.srcIp)).toBe(false);

    const again = p.mark();
    expect(p.releaseAll()).toEqual(expect.arrayContaining([a!.srcIp, c!.srcIp]));
    expect(new Set(p.rewind(again))).toEqual(new Set([a!.srcIp, c!.srcIp]));
    expect(p.source(c!.srcIp)).toBe(cBefore);
  });

  it('rewinds only to the latest mark, once', () => {
    const p = pipeline();
    const first = p.mark();
    const latest = p.mark();
    expect(() => p.rewind(first)).toThrow(/not the latest/);
    p.rewind(latest);
    expect(() => p.rewind(latest)).toThrow(/not the latest/);
  });

  it('gives a global checkpoint that outcomes observed later leave as it was', () => {
    const p = pipeline();
    p.replay(flows.slice(0, 3));
    const checkpoint = p.globalCheckpoint();
    p.observeOutcome(2, { srcIp: flows[2]!.srcIp, isAttack: true, ts: flows[2]!.ts });
    expect(checkpoint.pending).toEqual([]);
  });
});
