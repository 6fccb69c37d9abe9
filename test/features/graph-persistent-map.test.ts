import { describe, expect, it } from 'vitest';
import { hash32 } from '../../src/aggregate/hash32.js';
import {
  emptyPMap,
  pmapDelete,
  pmapEntries,
  pmapFromEntries,
  pmapGet,
  pmapKeys,
  pmapSet,
  pmapUpdate,
  type PMap,
} from '../../src/features/graph/persistent-map.js';

/** A small seeded generator, so failures replay. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Two distinct keys with the same 32-bit hash, found by the birthday bound (~80k tries). */
function collidingKeys(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const key = `k${i}`;
    const h = hash32(key);
    const other = seen.get(h);
    if (other !== undefined) return [other, key];
    seen.set(h, key);
  }
}

describe('persistent map', () => {
  it('agrees with a Map over random sets, updates and deletes', () => {
    const rnd = random(7);
    let map = emptyPMap<number>();
    const reference = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const key = `10.0.${Math.floor(rnd() * 8)}.${Math.floor(rnd() * 256)}`;
      const op = rnd();
      if (op < 0.5) {
        map = pmapSet(map, key, i);
        reference.set(key, i);
      } else if (op < 0.8) {
        map = pmapDelete(map, key);
        reference.delete(key);
      } else {
        map = pmapUpdate(map, key, (v) => (v === undefined ? 1 : v + 1));
        reference.set(key, (reference.get(key) ?? 0) + 1);
      }
      expect(map.size).toBe(reference.size);
    }
    for (const [k, v] of reference) expect(pmapGet(map, k)).toBe(v);
    expect(new Map(pmapEntries(map))).toEqual(reference);
  });

  it('leaves earlier versions intact', () => {
    const a = pmapFromEntries([['x', 1], ['y', 2]]);
    const b = pmapSet(a, 'x', 10);
    const c = pmapDelete(b, 'y');
    expect([pmapGet(a, 'x'), pmapGet(a, 'y'), a.size]).toEqual([1, 2, 2]);
    expect([pmapGet(b, 'x'), pmapGet(b, 'y'), b.size]).toEqual([10, 2, 2]);
    expect([pmapGet(c, 'x'), pmapGet(c, 'y'), c.size]).toEqual([10, undefined, 1]);
    expect(pmapSet(c, 'x', 10)).toBe(c); // no change, no copy
    expect(pmapDelete(c, 'absent')).toBe(c);
  });

  it('has one shape per key set, whatever the order of changes', () => {
    const keys = Array.from({ length: 3_000 }, (_, i) => `node-${i}`);
    const forward = pmapFromEntries(keys.map((k) => [k, 1] as const));
    const rnd = random(3);
    const shuffled = keys.slice().sort(() => rnd() - 0.5);
    let other: PMap<number> = emptyPMap();
    for (const k of [...shuffled, 'extra-1', 'extra-2']) other = pmapSet(other, k, 1);
    other = pmapDelete(pmapDelete(other, 'extra-2'), 'extra-1');
    expect(JSON.stringify(other)).toBe(JSON.stringify(forward));
    expect(pmapKeys(other)).toEqual(pmapKeys(forward));
    // Deleting everything gives back the empty map's shape.
    let emptied = forward;
    for (const k of shuffled) emptied = pmapDelete(emptied, k);
    expect(emptied).toEqual(emptyPMap());
  });

  it('keeps keys whose full hashes collide apart, in either order', () => {
    const [a, b] = collidingKeys();
    expect(hash32(a)).toBe(hash32(b));
    const ab = pmapSet(pmapSet(pmapSet(emptyPMap<number>(), a, 1), b, 2), 'other', 3);
    const ba = pmapSet(pmapSet(pmapSet(emptyPMap<number>(), 'other', 3), b, 2), a, 1);
    expect([pmapGet(ab, a), pmapGet(ab, b), pmapGet(ab, 'other'), ab.size]).toEqual([1, 2, 3, 3]);
    expect(JSON.stringify(ba)).toBe(JSON.stringify(ab));
    const onlyB = pmapDelete(ab, a);
    expect([pmapGet(onlyB, a), pmapGet(onlyB, b), onlyB.size]).toEqual([undefined, 2, 2]);
    expect(JSON.stringify(onlyB)).toBe(JSON.stringify(pmapSet(pmapSet(emptyPMap<number>(), 'other', 3), b, 2)));
  });

  it('round-trips through JSON', () => {
    const map = pmapFromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, { n: i }] as const));
    const copy = JSON.parse(JSON.stringify(map)) as typeof map;
    expect(pmapGet(copy, 'k321')).toEqual({ n: 321 });
    expect(pmapGet(pmapSet(copy, 'k1', { n: -1 }), 'k1')).toEqual({ n: -1 });
  });
});
