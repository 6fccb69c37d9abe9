import { UndirectedGraph } from 'graphology';
import { mulberry32 } from '../../training/rng.js';
import { createUnweightedIndexedBrandes } from 'graphology-shortest-path/indexed-brandes.js';
import type { NeighborhoodIndex } from 'graphology-indices/neighborhood.js';
import { hash32 } from '../../aggregate/hash32.js';
import { ConfigError } from '../../errors/vigil-error.js';
import { emptyPMap, pmapForEach, pmapSet, type PMap } from './persistent-map.js';

/**
 * Approximate betweenness centrality by sampled pivots: Brandes, "A Faster Algorithm for
 * Betweenness Centrality", J. Math. Sociology 25(2), 2001, run from k source nodes only, as
 * Brandes & Pich, "Centrality Estimation in Large Networks", Int. J. Bifurcation and Chaos
 * 17(7), 2007, estimate it:
 *
 *   BC(v) ≈ (N / k) · Σ_{s ∈ pivots} δ_s(v),   then normalised by 1 / ((N − 1)(N − 2))
 *
 * where δ_s(v) is the dependency of s on v from one breadth-first search. The pivots are
 * drawn uniformly without replacement, so the estimate is unbiased; with k = N it is the
 * exact value, normalised as graphology-metrics and networkx normalise undirected graphs
 * (in [0, 1]; 0 for graphs of fewer than 3 nodes). Unweighted, since edges carry no length.
 *
 * The single-source search is graphology-shortest-path's indexed Brandes (the routine
 * graphology-metrics' exact betweenness runs from every node); graphology-metrics itself has
 * no sampling. Pivots come from a seeded generator over the nodes in canonical order, so the
 * same graph and seed always give the same scores.
 */
export interface SampledBetweennessOptions {
  /** k, the number of source nodes; all nodes when the graph has fewer. */
  pivots: number;
  /** Seeds the pivot draw. */
  seed: number;
}

/** k distinct indices of 0..n-1, by a partial Fisher-Yates shuffle. */
function drawPivots(n: number, k: number, seed: number): Uint32Array {
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const random = mulberry32(seed);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (n - i));
    const x = order[i]!;
    order[i] = order[j]!;
    order[j] = x;
  }
  return order.subarray(0, k);
}

/** The graphology graph of an adjacency map (node → neighbour set), nodes in canonical order. */
export function toGraphology(adjacency: PMap<PMap<1>>): UndirectedGraph {
  const graph = new UndirectedGraph();
  pmapForEach(adjacency, (u) => graph.addNode(u));
  pmapForEach(adjacency, (u, neighbours) =>
    pmapForEach(neighbours, (v) => {
      if (u < v) graph.addEdge(u, v);
    }),
  );
  return graph;
}

interface FixedStackOfIndexes {
  size: number;
  items: ArrayLike<number>;
  pop(): number | undefined;
}

type IndexedBrandes = ((source: number) => [FixedStackOfIndexes, number[][], Uint32Array]) & { index: NeighborhoodIndex };

/** Normalised betweenness estimates by node (nodes scoring 0 are left out). */
export function sampledBetweenness(adjacency: PMap<PMap<1>>, options: SampledBetweennessOptions): PMap<number> {
  if (!Number.isInteger(options.pivots) || options.pivots < 1) {
    throw new ConfigError(`sampledBetweenness: pivots must be a positive integer, got ${options.pivots}`);
  }
  const graph = toGraphology(adjacency);
  const n = graph.order;
  if (n < 3) return emptyPMap();
  const brandes = createUnweightedIndexedBrandes(graph) as unknown as IndexedBrandes;
  const k = Math.min(options.pivots, n);
  const centrality = new Float64Array(n);
  const delta = new Float64Array(n);
  for (const s of drawPivots(n, k, options.seed)) {
    const [stack, predecessors, sigma] = brandes(s);
    for (let i = 0; i < stack.size; i++) delta[stack.items[i]!] = 0;
    // Nodes leave the stack farthest first, so each dependency is complete before it is passed back.
    while (stack.size > 0) {
      const w = stack.pop()!;
      const coefficient = (1 + delta[w]!) / sigma[w]!;
      for (const v of predecessors[w]!) delta[v] = delta[v]! + sigma[v]! * coefficient;
      if (w !== s) centrality[w] = centrality[w]! + delta[w]!;
    }
  }
  const scale = n / k / ((n - 1) * (n - 2));
  let scores = emptyPMap<number>();
  const nodes = brandes.index.nodes;
  for (let i = 0; i < n; i++) if (centrality[i]! > 0) scores = pmapSet(scores, nodes[i]!, centrality[i]! * scale);
  return scores;
}

/** The pivot seed of the r-th refresh: a function of the configured seed and r alone. */
export function refreshSeed(seed: number, refresh: number): number {
  return hash32(`${seed}:${refresh}`);
}
