import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FeatureSpec } from '../../src/features/feature-group.js';
import { communicationGraphGroup } from '../../src/features/graph/communication-graph.js';
import { destinationAsnChurnGroup } from '../../src/features/graph/destination-asn-churn.js';
import { decodeDistinctHostsState, distinctHostsGroup, encodeDistinctHostsState } from '../../src/features/graph/distinct-hosts.js';
import { portEntropyGroup } from '../../src/features/graph/port-entropy.js';
import { SCHEMAS_DIR } from '../../src/paths.js';
import { flow, MIN, run, T0 } from './graph-events.js';

const A = '172.16.0.1';
const [H1, H2, H3, H4, H9] = ['192.168.10.1', '192.168.10.2', '192.168.10.3', '192.168.10.4', '192.168.10.9'];

/**
 * One source A over 10 min windows on 1 min tiles. Window at watermark W: the tiles
 * [alignToTile(W) + 1 min − 10 min, alignToTile(W) + 1 min).
 */
const SOURCE_EVENTS = [
  flow(A, H1, T0, 22), //                e1  hosts {H1}           ports {22:1}
  flow(A, H2, T0 + 10_000, 22), //       e2  {H1,H2}              {22:2}
  flow(A, H1, T0 + 20_000, 80), //       e3  {H1,H2}              {22:2, 80:1}
  flow(A, H3, T0 + MIN, 443), //         e4  {H1,H2,H3}           {22:2, 80:1, 443:1}
  flow(A, H4, T0 + 10 * MIN + 5_000, 22), // e5: window now starts at T0+1m, tile T0 (e1-e3) leaves:
  //                                             {H3,H4}          {443:1, 22:1}
  flow(A, H9, T0 + 30_000, 8080), //     e6  late, tile T0 is out of the window: dropped
  flow(A, H1, T0 + MIN + 30_000, 443), // e7 late but tile T0+1m is in it: {H3,H4,H1}  {443:2, 22:1}
];

describe('95 distinct destination hosts', () => {
  it('counts distinct destinations in the window, expires old tiles, drops late events past it', () => {
    const { values, states } = run(distinctHostsGroup(), SOURCE_EVENTS);
    expect(values.flat()).toEqual([1, 2, 2, 3, 2, 2, 3]);
    expect(states.get(A)!.lateDropped).toBe(1);
    expect(states.get(A)!.tiles.map(([t]) => (t - T0) / MIN)).toEqual([1, 10]);
  });

  it('keeps counting past the exact range, and its sketch state survives encoding', () => {
    const group = distinctHostsGroup({ distinct: { exactUpTo: 16 } });
    const sweep = Array.from({ length: 40 }, (_, i) => flow(A, `10.1.0.${i}`, T0 + i * 1_000));
    const { values, states } = run(group, sweep);
    expect(values.slice(0, 16).flat()).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(values[39]![0]).toBeCloseTo(40, -1); // a HyperLogLog estimate now (linear counting)
    const state = states.get(A)!;
    const decoded = decodeDistinctHostsState(JSON.parse(JSON.stringify(encodeDistinctHostsState(state))));
    const next = flow(A, '10.1.0.99', T0 + 50_000);
    expect(group.step(decoded, next).values).toEqual(group.step(state, next).values);
  });
});

describe('99 destination-port entropy', () => {
  it('is the Shannon entropy in bits of the ports in the window', () => {
    const { values, states } = run(portEntropyGroup(), SOURCE_EVENTS);
    const h = (...counts: number[]) => {
      const n = counts.reduce((a, c) => a + c, 0);
      return -counts.reduce((a, c) => a + (c / n) * Math.log2(c / n), 0);
    };
    const expected = [
      0, // {22:1}
      0, // {22:2}
      h(2, 1), // {22:2, 80:1}: log2 3 − 2/3 = 0.918296
      1.5, // {22:2, 80:1, 443:1}: 2 − (2·1)/4
      1, // {443:1, 22:1} after tile T0 expired
      1, // e6 dropped: unchanged
      h(2, 1), // {443:2, 22:1}
    ];
    values.forEach(([v], i) => expect(v, `e${i + 1}`).toBeCloseTo(expected[i]!, 12));
    expect(h(2, 1)).toBeCloseTo(0.918296, 6);
    const s = states.get(A)!;
    expect([s.total, s.lateDropped]).toEqual([3, 1]);
  });

  it('reaches log2 of the ports a scan probes, and 0 when the window empties and refills', () => {
    const scan = Array.from({ length: 64 }, (_, i) => flow(A, H1, T0 + i * 100, 1000 + i));
    const { values } = run(portEntropyGroup(), [...scan, flow(A, H1, T0 + 30 * MIN, 22)]);
    expect(values[63]![0]).toBeCloseTo(6, 12); // 64 ports, one flow each
    expect(values[64]![0]).toBe(0); // everything expired; one flow left
  });
});

describe('96-97 clustering and betweenness of the source', () => {
  const [B, C, D, E] = ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'];
  const GRAPH_EVENTS = [
    flow(A, B, T0), //              edges A-B
    flow(A, C, T0 + 1_000), //      A-B, A-C: B-A-C is a path through A
    flow(B, C, T0 + 2_000), //      triangle A, B, C
    flow(A, D, T0 + 3_000), //      plus the pendant D on A
    flow(D, E, T0 + 10 * MIN + 1_000), // tile T0 left the window: only D-E remains
  ];

  it('reads the clustering coefficient, and exact betweenness when every event refreshes with all nodes as pivots', () => {
    const { values, states } = run(communicationGraphGroup({ betweenness: { pivots: 1_000, everyEvents: 1 } }), GRAPH_EVENTS);
    expect(values).toEqual([
      [0, 0], //     A has degree 1; a 2-node graph has no betweenness
      [0, 1], //     A: degree 2, no triangle; B-C only through A: BC = 1, ·2/((3−1)(3−2)) = 1
      [1, 0], //     B: neighbours A, C are linked: 2·1/(2·1) = 1; a triangle has no intermediaries
      [1 / 3, 2 / 3], // A: T = 1 (B-C), d = 3: 2/(3·2); pairs B-D, C-D pass A: BC = 2, ·2/(3·2)
      [0, 0], //     D: degree 1 in a 2-node graph
    ]);
    const { graph } = states.get('*')!;
    expect([graph.edges.size, graph.adjacency.size, graph.triangles.size]).toEqual([1, 2, 0]);
  });

  it('reads betweenness from the last refresh, by event count or event time', () => {
    const byCount = run(communicationGraphGroup({ betweenness: { pivots: 1_000, everyEvents: 3 } }), GRAPH_EVENTS.slice(0, 4));
    // Refreshed at e1 (first event) and e4 (3 events later): e2 reads e1's 2-node snapshot.
    expect(byCount.values.map((v) => v[1])).toEqual([0, 0, 0, 2 / 3]);
    expect(byCount.states.get('*')!.betweenness.refreshes).toBe(2);

    const byTime = run(communicationGraphGroup({ betweenness: { pivots: 1_000, everyEvents: 1_000, everyMs: 1_000 } }), GRAPH_EVENTS.slice(0, 4));
    // e1 refreshes; e2 is 1 s later: refreshes (A = 1); e3 and e4 likewise.
    expect(byTime.values.map((v) => v[1])).toEqual([0, 1, 0, 2 / 3]);
  });

  it('drops an edge later than the window, and scores the same from a JSON copy of its state', () => {
    const group = communicationGraphGroup({ betweenness: { pivots: 1_000, everyEvents: 1 } });
    const { states } = run(group, GRAPH_EVENTS);
    const state = states.get('*')!;
    const late = flow(A, B, T0 + 5_000);
    const out = group.step(state, late);
    expect([out.state.lateDropped, out.state.graph.edges.size]).toEqual([1, 1]);
    const copy = JSON.parse(JSON.stringify(state)) as typeof state;
    const next = flow(E, A, T0 + 10 * MIN + 2_000);
    expect(group.step(copy, next)).toEqual(group.step(state, next));
  });
});

describe('98 source-AS change rate seen by the destination', () => {
  const ASN: Record<string, number> = { '1.1.1.1': 100, '2.2.2.2': 200, '3.3.3.3': 100 };
  const S = '192.168.10.50';
  const S2 = '192.168.10.51';

  it('is changes / transitions of the source AS over the destination\'s flows in the window', () => {
    const events = [
      flow('1.1.1.1', S, T0), //             AS100: first flow to S, no transition: 0
      flow('2.2.2.2', S, T0 + 1_000), //     100→200 change: 1/1
      flow('3.3.3.3', S, T0 + 2_000), //     200→100 change: 2/2
      flow('1.1.1.1', S, T0 + 3_000), //     100→100 same: 2/3
      flow('172.16.0.9', S, T0 + 4_000), //  100→none(0) change: 3/4
      flow('1.1.1.1', S2, T0 + 5_000), //    another destination, first flow: 0
      flow('2.2.2.2', S, T0 + 10 * MIN + 1_000), // S idle past the window: starts afresh, 0
      flow('1.1.1.1', S, T0 + 10 * MIN + 2_000), // 200→100 change: 1/1
      flow('3.3.3.3', S, T0 + 4_000), //     late past the window: dropped, S still reads 1
    ];
    const { values, states } = run(destinationAsnChurnGroup({ asnOf: (ip) => ASN[ip] }), events);
    expect(values.flat()).toEqual([0, 1, 1, 2 / 3, 3 / 4, 0, 0, 1, 1]);
    const state = states.get('*')!;
    expect([state.destinations.size, state.lateDropped]).toEqual([1, 1]); // S2 expired with its tile
  });
});

describe('feature specs of 95-99', () => {
  it('list each slot of the groups once, in order, with every field filled', () => {
    const specs = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'features-v2', 'graph.json'), 'utf8')) as FeatureSpec[];
    const slots = [distinctHostsGroup(), communicationGraphGroup(), destinationAsnChurnGroup({ asnOf: () => undefined }), portEntropyGroup()]
      .flatMap((g) => g.slots)
      .sort((a, b) => a - b);
    expect(specs.map((s) => s.number)).toEqual(slots);
    expect(slots).toEqual([95, 96, 97, 98, 99]);
    for (const spec of specs) {
      for (const field of ['name', 'formula', 'window', 'range', 'missing'] as const) expect(spec[field].length, `${spec.number}.${field}`).toBeGreaterThan(3);
    }
  });
});
