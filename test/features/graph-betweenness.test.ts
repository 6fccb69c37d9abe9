import { createRequire } from 'node:module';
import { UndirectedGraph } from 'graphology';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { emptyPMap, pmapGet, pmapSet, type PMap } from '../../src/features/graph/persistent-map.js';
import { sampledBetweenness } from '../../src/features/graph/sampled-betweenness.js';

// A CommonJS module whose typings declare an ES default export: NodeNext types a default
// import of it as the module object, so it is required, typed by its declaration.
const betweennessCentrality = createRequire(import.meta.url)('graphology-metrics/centrality/betweenness') as typeof import('graphology-metrics/centrality/betweenness.js').default;

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function adjacencyOf(edges: readonly (readonly [string, string])[]): PMap<PMap<1>> {
  let adjacency = emptyPMap<PMap<1>>();
  for (const [u, v] of edges) {
    adjacency = pmapSet(adjacency, u, pmapSet(pmapGet(adjacency, u) ?? emptyPMap<1>(), v, 1));
    adjacency = pmapSet(adjacency, v, pmapSet(pmapGet(adjacency, v) ?? emptyPMap<1>(), u, 1));
  }
  return adjacency;
}

/** Exact normalised betweenness by graphology-metrics (all nodes as sources, unweighted). */
function exact(edges: readonly (readonly [string, string])[]): Record<string, number> {
  const graph = new UndirectedGraph();
  for (const [u, v] of edges) graph.mergeEdge(u, v);
  return betweennessCentrality(graph, { getEdgeWeight: null, normalized: true });
}

function randomEdges(seed: number, nodes: number, edges: number): [string, string][] {
  const rnd = random(seed);
  const out = new Map<string, [string, string]>();
  while (out.size < edges) {
    const a = Math.floor(rnd() * nodes);
    const b = Math.floor(rnd() * nodes);
    if (a !== b) out.set(`${Math.min(a, b)}-${Math.max(a, b)}`, [`n${a}`, `n${b}`]);
  }
  return [...out.values()];
}

describe('sampled betweenness', () => {
  it.each([
    [1, 12, 18],
    [2, 20, 30],
    [3, 25, 24], // sparse: several components
  ])('equals the exact value of graphology-metrics when every node is a pivot (seed %i, %i nodes, %i edges)', (seed, nodes, edges) => {
    const list = randomEdges(seed, nodes, edges);
    const expected = exact(list);
    const scores = sampledBetweenness(adjacencyOf(list), { pivots: nodes, seed: 42 });
    for (const [node, value] of Object.entries(expected)) expect(pmapGet(scores, node) ?? 0, node).toBeCloseTo(value, 12);
    expect(Object.values(expected).some((v) => v > 0)).toBe(true);
  });

  it('is unbiased with fewer pivots: the mean over many draws approaches the exact value', () => {
    const list = randomEdges(5, 14, 22);
    const expected = exact(list);
    const adjacency = adjacencyOf(list);
    const draws = 400;
    const mean: Record<string, number> = {};
    for (let seed = 0; seed < draws; seed++) {
      const scores = sampledBetweenness(adjacency, { pivots: 4, seed });
      for (const node of Object.keys(expected)) mean[node] = (mean[node] ?? 0) + (pmapGet(scores, node) ?? 0) / draws;
    }
    for (const [node, value] of Object.entries(expected)) expect(Math.abs(mean[node]! - value), node).toBeLessThan(0.03);
    // A single draw with 4 of 14 pivots is not exact, or the test above would prove nothing.
    const one = sampledBetweenness(adjacency, { pivots: 4, seed: 1 });
    expect(Object.entries(expected).some(([n, v]) => Math.abs((pmapGet(one, n) ?? 0) - v) > 0.01)).toBe(true);
  });

  it('is reproducible for a seed and scores small graphs 0', () => {
    const adjacency = adjacencyOf(randomEdges(7, 30, 45));
    expect(sampledBetweenness(adjacency, { pivots: 5, seed: 3 })).toEqual(sampledBetweenness(adjacency, { pivots: 5, seed: 3 }));
    expect(sampledBetweenness(adjacencyOf([['a', 'b']]), { pivots: 5, seed: 3 }).size).toBe(0);
    expect(() => sampledBetweenness(adjacency, { pivots: 0, seed: 3 })).toThrow(ConfigError);
  });
});
