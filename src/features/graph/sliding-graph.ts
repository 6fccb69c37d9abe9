import { bucketKey, expireBuckets, NO_BUCKETS, type ExpiryBuckets } from './expiry-buckets.js';
import {
  emptyPMap,
  pmapDelete,
  pmapForEach,
  pmapGet,
  pmapSet,
  pmapUpdate,
  type PMap,
} from './persistent-map.js';

/**
 * The undirected communication graph of a sliding window, with the triangles through each
 * node kept incrementally, so the local clustering coefficient of any node is read in O(1):
 *
 *   C(u) = 2·T(u) / (d(u)·(d(u) − 1)),   T(u) the triangles through u, d(u) its degree.
 *
 * An edge {u, v} is in the graph while the newest tile it was seen in is in the window.
 *
 * 1. `touchEdge` at tile t: a new edge joins the adjacency of both ends, and each common
 *    neighbour w of u and v closes a triangle: T(w) += 1, T(u) += c, T(v) += c for the c
 *    common neighbours, found by probing the smaller neighbour set in the larger, so the cost
 *    is O(min(d(u), d(v))). A known edge only moves to tile t's expiry bucket, if t is newer.
 * 2. `expireBefore(start)` removes every edge of the buckets of tiles before `start`, undoing
 *    step 1 exactly (each removal subtracts the triangles its edge closed with the edges
 *    still present, the same count the additions made). Each edge enters a bucket once per
 *    tile it is seen in and leaves it once, so expiry is amortised into the events.
 *
 * Self-loops are ignored (a host talking to itself closes no triangle). State is plain data
 * (persistent-map.ts), and every function returns a new state, sharing the unchanged parts.
 */
export interface SlidingGraphState {
  /** Edge key `a|b` (a < b) → start of the newest tile the edge was seen in. */
  readonly edges: PMap<number>;
  /** Node → its neighbours, as a set (values are 1). */
  readonly adjacency: PMap<PMap<1>>;
  /** Node → triangles through it; absent means 0. */
  readonly triangles: PMap<number>;
  /** The edges by the newest tile they were seen in. */
  readonly buckets: ExpiryBuckets;
}

export const EMPTY_SLIDING_GRAPH: SlidingGraphState = Object.freeze({
  edges: emptyPMap<number>(),
  adjacency: emptyPMap<PMap<1>>(),
  triangles: emptyPMap<number>(),
  buckets: NO_BUCKETS,
});

const SEPARATOR = '|';

export function edgeKey(u: string, v: string): string {
  return u < v ? u + SEPARATOR + v : v + SEPARATOR + u;
}

function endsOf(key: string): [string, string] {
  const i = key.indexOf(SEPARATOR);
  return [key.slice(0, i), key.slice(i + 1)];
}

export function degreeOf(state: SlidingGraphState, node: string): number {
  return pmapGet(state.adjacency, node)?.size ?? 0;
}

export function trianglesOf(state: SlidingGraphState, node: string): number {
  return pmapGet(state.triangles, node) ?? 0;
}

/** C(u) as above; 0 for a node of degree below 2, where no triangle can exist (networkx's convention). */
export function clusteringOf(state: SlidingGraphState, node: string): number {
  const d = degreeOf(state, node);
  return d < 2 ? 0 : (2 * trianglesOf(state, node)) / (d * (d - 1));
}

/** The common neighbours of u and v, probing the smaller set in the larger. */
function commonNeighbours(adjacency: PMap<PMap<1>>, u: string, v: string): string[] {
  const nu = pmapGet(adjacency, u);
  const nv = pmapGet(adjacency, v);
  if (nu === undefined || nv === undefined) return [];
  const [small, large] = nu.size <= nv.size ? [nu, nv] : [nv, nu];
  const common: string[] = [];
  pmapForEach(small, (w) => {
    if (pmapGet(large, w) !== undefined) common.push(w);
  });
  return common;
}

/** Adds `delta` (±1 per triangle) to the triangles of u, v and their common neighbours. */
function shiftTriangles(triangles: PMap<number>, u: string, v: string, common: readonly string[], delta: number): PMap<number> {
  if (common.length === 0) return triangles;
  const add = (t: PMap<number>, node: string, by: number) => pmapUpdate(t, node, (c) => ((c ?? 0) + by === 0 ? undefined : (c ?? 0) + by));
  let t = add(triangles, u, delta * common.length);
  t = add(t, v, delta * common.length);
  for (const w of common) t = add(t, w, delta);
  return t;
}

function link(adjacency: PMap<PMap<1>>, a: string, b: string): PMap<PMap<1>> {
  return pmapSet(adjacency, a, pmapSet(pmapGet(adjacency, a) ?? emptyPMap<1>(), b, 1));
}

function unlink(adjacency: PMap<PMap<1>>, a: string, b: string): PMap<PMap<1>> {
  const neighbours = pmapGet(adjacency, a);
  if (neighbours === undefined) return adjacency;
  const rest = pmapDelete(neighbours, b);
  return rest.size === 0 ? pmapDelete(adjacency, a) : pmapSet(adjacency, a, rest);
}

/** The graph with the edge {u, v} seen in the tile starting at `tile`. */
export function touchEdge(state: SlidingGraphState, u: string, v: string, tile: number): SlidingGraphState {
  if (u === v) return state;
  const key = edgeKey(u, v);
  const seen = pmapGet(state.edges, key);
  if (seen !== undefined) {
    if (seen >= tile) return state;
    return {
      ...state,
      edges: pmapSet(state.edges, key, tile),
      buckets: bucketKey(state.buckets, key, tile, seen),
    };
  }
  const common = commonNeighbours(state.adjacency, u, v);
  return {
    edges: pmapSet(state.edges, key, tile),
    adjacency: link(link(state.adjacency, u, v), v, u),
    triangles: shiftTriangles(state.triangles, u, v, common, 1),
    buckets: bucketKey(state.buckets, key, tile),
  };
}

function removeEdge(state: SlidingGraphState, key: string): SlidingGraphState {
  const [u, v] = endsOf(key);
  const adjacency = unlink(unlink(state.adjacency, u, v), v, u);
  // Common neighbours after the edge is gone: exactly the triangles it closed.
  const common = commonNeighbours(adjacency, u, v);
  return {
    edges: pmapDelete(state.edges, key),
    adjacency,
    triangles: shiftTriangles(state.triangles, u, v, common, -1),
    buckets: state.buckets,
  };
}

/** The graph without the edges last seen in tiles starting before `start`. */
export function expireBefore(state: SlidingGraphState, start: number): SlidingGraphState {
  const { expired, rest } = expireBuckets(state.buckets, start);
  if (rest === state.buckets) return state;
  let next = state;
  for (const key of expired) next = removeEdge(next, key);
  return { ...next, buckets: rest };
}

/** Every edge present, as [u, v] with u < v, in canonical order. */
export function edgesOf(state: SlidingGraphState): [string, string][] {
  const out: [string, string][] = [];
  pmapForEach(state.edges, (key) => out.push(endsOf(key)));
  return out;
}
