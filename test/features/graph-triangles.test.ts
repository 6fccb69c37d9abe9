import { describe, expect, it } from 'vitest';
import { communicationGraphGroup } from '../../src/features/graph/communication-graph.js';
import { clusteringOf, degreeOf, EMPTY_SLIDING_GRAPH, expireBefore, touchEdge, trianglesOf, type SlidingGraphState } from '../../src/features/graph/sliding-graph.js';
import { advanceWindow, resolveSlidingWindow } from '../../src/features/graph/sliding-window.js';
import { flow, MIN, T0 } from './graph-events.js';

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

interface Arrival {
  u: string;
  v: string;
  ts: number;
}

/**
 * The graph from scratch: the pairs with an accepted event whose tile is in the window at
 * the watermark (accepted = its tile was in the window when it arrived), then degrees and
 * triangles by checking every pair of neighbours. Shares no code with sliding-graph.ts.
 */
function fromScratch(accepted: readonly Arrival[], windowStart: number, tileMs: number) {
  const adjacency = new Map<string, Set<string>>();
  for (const { u, v, ts } of accepted) {
    if (u === v || Math.floor(ts / tileMs) * tileMs < windowStart) continue;
    for (const [a, b] of [[u, v], [v, u]] as const) {
      if (!adjacency.has(a)) adjacency.set(a, new Set());
      adjacency.get(a)!.add(b);
    }
  }
  const triangles = new Map<string, number>();
  for (const [node, neighbours] of adjacency) {
    const list = [...neighbours];
    let t = 0;
    for (let i = 0; i < list.length; i++) for (let j = i + 1; j < list.length; j++) if (adjacency.get(list[i]!)!.has(list[j]!)) t++;
    triangles.set(node, t);
  }
  return { adjacency, triangles };
}

describe('incremental triangles and clustering', () => {
  it.each([1, 2, 3, 4])('match a from-scratch count on random graphs with expiry and late events (seed %i)', (seed) => {
    const rnd = random(seed);
    const window = resolveSlidingWindow({ lengthMs: 3 * MIN, tileMs: MIN });
    const nodes = Array.from({ length: 7 + seed * 2 }, (_, i) => `10.0.0.${i}`);
    let state: SlidingGraphState = EMPTY_SLIDING_GRAPH;
    let watermark: number | null = null;
    let clock = T0;
    const accepted: Arrival[] = [];
    let expiredSome = false;
    for (let i = 0; i < 400; i++) {
      clock += Math.floor(rnd() * 4_000);
      // One event in ten arrives up to 2.5 minutes late.
      const ts = rnd() < 0.1 ? clock - Math.floor(rnd() * 150_000) : clock;
      const u = nodes[Math.floor(rnd() * nodes.length)]!;
      const v = nodes[Math.floor(rnd() * nodes.length)]!;
      const at = advanceWindow(window, watermark, ts);
      watermark = at.watermark;
      const before = state.edges.size;
      state = expireBefore(state, at.windowStart);
      if (state.edges.size < before) expiredSome = true;
      if (at.accepted) {
        state = touchEdge(state, u, v, at.tile);
        accepted.push({ u, v, ts });
      }
      const expected = fromScratch(accepted, at.windowStart, MIN);
      for (const node of nodes) {
        const d = expected.adjacency.get(node)?.size ?? 0;
        const t = expected.triangles.get(node) ?? 0;
        expect([degreeOf(state, node), trianglesOf(state, node)], `${node} after event ${i}`).toEqual([d, t]);
        expect(clusteringOf(state, node)).toBeCloseTo(d < 2 ? 0 : (2 * t) / (d * (d - 1)), 12);
      }
    }
    expect(expiredSome).toBe(true);
    expect(accepted.length).toBeLessThan(400); // some late events were dropped
  });

  it('give the same values through the group after a JSON round trip of its state', () => {
    const rnd = random(9);
    const group = communicationGraphGroup({ window: { lengthMs: 3 * MIN }, betweenness: { pivots: 4, everyEvents: 25 } });
    let state = group.init();
    let copy = group.init();
    for (let i = 0; i < 300; i++) {
      const e = flow(`10.0.0.${Math.floor(rnd() * 12)}`, `10.0.0.${Math.floor(rnd() * 12)}`, T0 + i * 2_000);
      const a = group.step(state, e);
      const b = group.step(JSON.parse(JSON.stringify(copy)) as typeof copy, e);
      expect(b.values).toEqual(a.values);
      state = a.state;
      copy = b.state;
    }
    expect(state.betweenness.refreshes).toBeGreaterThan(10);
  });
});
