import { hash32 } from '../../aggregate/hash32.js';

/**
 * A persistent string-keyed map made of plain JSON data: a hash array mapped trie (Bagwell,
 * "Ideal Hash Trees", EPFL 2001) over the 32-bit `hash32` of the key.
 *
 * Why. A feature group's `step` must not mutate its state, yet a global state (the
 * communication graph) holds many thousands of entries: copying it per event would cost
 * O(n). Here an update copies only the path from the root to the key, one small node per
 * level (at most 7 levels of 5 hash bits; about log32 n, so 3-4 for 100k keys), and shares
 * the rest with the previous version, which stays valid. Nodes are plain objects and arrays,
 * so a state holding maps round-trips through JSON as it is.
 *
 * Nodes:
 * - branch `{m, c}`: a 32-bit bitmap of occupied slots at this level and the children of the
 *   set bits, in bit order (`m` may be negative: bit 31 is the sign);
 * - leaf `{k, v}`;
 * - collision `{h, e}`: leaves whose full hashes are equal, sorted by key.
 *
 * Canonical form: the shape depends on the set of keys alone, never on the order they were
 * added or removed in (a key sits at the shallowest level its hash bits tell apart from the
 * others, and removal pulls a lone leaf back up). So iteration order is a function of the
 * key set, and two replays that reach the same keys iterate them the same way — the
 * betweenness refresh relies on this to choose the same pivots.
 */
export interface PLeaf<V> {
  readonly k: string;
  readonly v: V;
}
export interface PBranch<V> {
  readonly m: number;
  readonly c: readonly PNode<V>[];
}
export interface PCollision<V> {
  readonly h: number;
  readonly e: readonly PLeaf<V>[];
}
export type PNode<V> = PLeaf<V> | PBranch<V> | PCollision<V>;

export interface PMap<V> {
  readonly size: number;
  readonly root: PBranch<V>;
}

const BITS = 5;
const SLOT_MASK = 31;

const EMPTY: PMap<never> = Object.freeze({ size: 0, root: Object.freeze({ m: 0, c: Object.freeze([]) as readonly never[] }) });

export function emptyPMap<V>(): PMap<V> {
  return EMPTY;
}

const isBranch = <V>(n: PNode<V>): n is PBranch<V> => (n as PBranch<V>).c !== undefined;
const isLeaf = <V>(n: PNode<V>): n is PLeaf<V> => (n as PLeaf<V>).k !== undefined;

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export function pmapGet<V>(map: PMap<V>, key: string): V | undefined {
  const h = hash32(key);
  let node: PNode<V> = map.root;
  for (let shift = 0; ; shift += BITS) {
    if (isBranch(node)) {
      const bit = 1 << ((h >>> shift) & SLOT_MASK);
      if ((node.m & bit) === 0) return undefined;
      node = node.c[popcount(node.m & (bit - 1))]!;
    } else if (isLeaf(node)) {
      return node.k === key ? node.v : undefined;
    } else {
      return node.h === h ? node.e.find((l) => l.k === key)?.v : undefined;
    }
  }
}

export function pmapHas<V>(map: PMap<V>, key: string): boolean {
  return pmapGet(map, key) !== undefined;
}

/** A branch at `shift` holding two nodes of different full hashes. */
function branchOfTwo<V>(a: PLeaf<V> | PCollision<V>, ha: number, b: PLeaf<V> | PCollision<V>, hb: number, shift: number): PBranch<V> {
  const ia = (ha >>> shift) & SLOT_MASK;
  const ib = (hb >>> shift) & SLOT_MASK;
  if (ia === ib) return { m: 1 << ia, c: [branchOfTwo(a, ha, b, hb, shift + BITS)] };
  return { m: (1 << ia) | (1 << ib), c: ia < ib ? [a, b] : [b, a] };
}

function withLeaf<V>(e: readonly PLeaf<V>[], leaf: PLeaf<V>): PLeaf<V>[] {
  const out = e.filter((l) => l.k !== leaf.k);
  out.push(leaf);
  return out.sort((x, y) => (x.k < y.k ? -1 : x.k > y.k ? 1 : 0));
}

function insert<V>(node: PNode<V>, shift: number, h: number, leaf: PLeaf<V>, grew: { by: number }): PNode<V> {
  if (isBranch(node)) {
    const bit = 1 << ((h >>> shift) & SLOT_MASK);
    const at = popcount(node.m & (bit - 1));
    if ((node.m & bit) === 0) {
      grew.by = 1;
      const c = node.c.slice();
      c.splice(at, 0, leaf);
      return { m: node.m | bit, c };
    }
    const child = node.c[at]!;
    const next = insert(child, shift + BITS, h, leaf, grew);
    if (next === child) return node;
    const c = node.c.slice();
    c[at] = next;
    return { m: node.m, c };
  }
  if (isLeaf(node)) {
    if (node.k === leaf.k) return Object.is(node.v, leaf.v) ? node : leaf;
    grew.by = 1;
    const other = hash32(node.k);
    if (other === h) return { h, e: withLeaf([node], leaf) };
    return branchOfTwo(node, other, leaf, h, shift);
  }
  if (node.h === h) {
    const old = node.e.find((l) => l.k === leaf.k);
    if (old !== undefined && Object.is(old.v, leaf.v)) return node;
    if (old === undefined) grew.by = 1;
    return { h, e: withLeaf(node.e, leaf) };
  }
  grew.by = 1;
  return branchOfTwo(node, node.h, leaf, h, shift);
}

/** The map with `key` set to `value`; the same map if it already held that value. */
export function pmapSet<V>(map: PMap<V>, key: string, value: V): PMap<V> {
  const grew = { by: 0 };
  const root = insert(map.root, 0, hash32(key), { k: key, v: value }, grew) as PBranch<V>;
  return root === map.root ? map : { size: map.size + grew.by, root };
}

/**
 * `node` without `key`: the same node if absent, null if nothing is left. A branch below the
 * root left with a single leaf or collision hands it up, which keeps the form canonical.
 */
function without<V>(node: PNode<V>, shift: number, h: number, key: string, isRoot: boolean): PNode<V> | null {
  if (isBranch(node)) {
    const bit = 1 << ((h >>> shift) & SLOT_MASK);
    if ((node.m & bit) === 0) return node;
    const at = popcount(node.m & (bit - 1));
    const child = node.c[at]!;
    const next = without(child, shift + BITS, h, key, false);
    if (next === child) return node;
    let branch: PBranch<V>;
    if (next === null) {
      if (node.c.length === 1 && !isRoot) return null;
      const c = node.c.slice();
      c.splice(at, 1);
      branch = { m: node.m & ~bit, c };
    } else {
      const c = node.c.slice();
      c[at] = next;
      branch = { m: node.m, c };
    }
    const only = branch.c.length === 1 ? branch.c[0]! : undefined;
    return !isRoot && only !== undefined && !isBranch(only) ? only : branch;
  }
  if (isLeaf(node)) return node.k === key ? null : node;
  if (node.h !== h || !node.e.some((l) => l.k === key)) return node;
  const e = node.e.filter((l) => l.k !== key);
  return e.length === 1 ? e[0]! : { h, e };
}

export function pmapDelete<V>(map: PMap<V>, key: string): PMap<V> {
  const root = without(map.root, 0, hash32(key), key, true) as PBranch<V>;
  return root === map.root ? map : { size: map.size - 1, root };
}

/** Sets `key` to `f(current)`, or deletes it when `f` returns undefined. */
export function pmapUpdate<V>(map: PMap<V>, key: string, f: (current: V | undefined) => V | undefined): PMap<V> {
  const next = f(pmapGet(map, key));
  return next === undefined ? pmapDelete(map, key) : pmapSet(map, key, next);
}

function visit<V>(node: PNode<V>, f: (key: string, value: V) => void): void {
  if (isBranch(node)) for (const child of node.c) visit(child, f);
  else if (isLeaf(node)) f(node.k, node.v);
  else for (const l of node.e) f(l.k, l.v);
}

/** Calls `f` on every entry, in the canonical order (a function of the key set). */
export function pmapForEach<V>(map: PMap<V>, f: (key: string, value: V) => void): void {
  visit(map.root, f);
}

export function pmapEntries<V>(map: PMap<V>): [string, V][] {
  const out: [string, V][] = [];
  visit(map.root, (k, v) => out.push([k, v]));
  return out;
}

export function pmapKeys<V>(map: PMap<V>): string[] {
  const out: string[] = [];
  visit(map.root, (k) => out.push(k));
  return out;
}

export function pmapFromEntries<V>(entries: Iterable<readonly [string, V]>): PMap<V> {
  let map = emptyPMap<V>();
  for (const [k, v] of entries) map = pmapSet(map, k, v);
  return map;
}
