import { mulberry32, type Rng } from '../training/rng.js';

export type { Rng } from '../training/rng.js';

/**
 * A seed for one named stream under a run seed (murmur3's 32-bit finaliser over the parts).
 * Balancing draws each class from its own stream, so a class's synthetic rows do not change
 * when another class's target changes, and ADASYN's SMOTE fallback replays SMOTE exactly.
 */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = seed >>> 0;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x9e3779b1) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** A generator for the stream `parts` under `seed` (see deriveSeed). */
export function streamRng(seed: number, ...parts: number[]): Rng {
  return mulberry32(deriveSeed(seed, ...parts));
}

/**
 * A standard normal draw (Box–Muller). One of the pair is dropped: keeping it would need
 * state beside the Rng, and the callers draw few enough values that the cost does not matter.
 */
export function gaussian(rng: Rng): number {
  // 1 - u lies in (0, 1], so the log is finite.
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** An integer in [0, n). */
export function randomIndex(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}
