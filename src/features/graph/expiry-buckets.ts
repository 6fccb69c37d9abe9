import { emptyPMap, pmapDelete, pmapKeys, pmapSet, type PMap } from './persistent-map.js';

/**
 * Keys bucketed by the tile they were last seen in, oldest tile first, so a global state can
 * drop what left the window without scanning everything: each key sits in exactly one
 * bucket (moved when seen in a newer tile), and expiring a tile visits only its own keys.
 * The list is short (one bucket per tile of the window), so copying it per change is cheap.
 */
export type ExpiryBuckets = readonly (readonly [number, PMap<1>])[];

export const NO_BUCKETS: ExpiryBuckets = Object.freeze([]) as ExpiryBuckets;

/** The buckets with `key` in the bucket of `tile`, taken out of the bucket of `from` if given. */
export function bucketKey(buckets: ExpiryBuckets, key: string, tile: number, from?: number): ExpiryBuckets {
  const out = buckets.slice();
  if (from !== undefined) {
    const i = out.findIndex(([t]) => t === from);
    if (i >= 0) {
      const rest = pmapDelete(out[i]![1], key);
      if (rest.size === 0) out.splice(i, 1);
      else out[i] = [from, rest];
    }
  }
  let i = out.length;
  while (i > 0 && out[i - 1]![0] > tile) i--;
  if (i > 0 && out[i - 1]![0] === tile) out[i - 1] = [tile, pmapSet(out[i - 1]![1], key, 1)];
  else out.splice(i, 0, [tile, pmapSet(emptyPMap<1>(), key, 1)]);
  return out;
}

/** The keys of the buckets of tiles before `start`, and the buckets left. */
export function expireBuckets(buckets: ExpiryBuckets, start: number): { expired: string[]; rest: ExpiryBuckets } {
  let n = 0;
  while (n < buckets.length && buckets[n]![0] < start) n++;
  if (n === 0) return { expired: [], rest: buckets };
  return { expired: buckets.slice(0, n).flatMap(([, keys]) => pmapKeys(keys)), rest: buckets.slice(n) };
}
