import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { jitterSequences, permuteSegments, scaleSequences, type SequenceBatch } from '../../src/learn/augment-sequences.js';
import { gaussian } from '../../src/learn/rng.js';
import { mulberry32 } from '../../src/training/rng.js';

/** Sequences of lengths `steps` with standard normal values, `dims` per step. */
function randomBatch(steps: readonly number[], dims: number, seed: number): SequenceBatch {
  const rng = mulberry32(seed);
  return { dims, sequences: steps.map((t) => Float32Array.from({ length: t * dims }, () => gaussian(rng))) };
}

/** Step t of every sequence holds t·10 + j in feature j, so each step says where it came from. */
function labelledSteps(steps: readonly number[], dims: number): SequenceBatch {
  return { dims, sequences: steps.map((t) => Float32Array.from({ length: t * dims }, (_, i) => Math.floor(i / dims) * 10 + (i % dims))) };
}

function stepOrder(seq: Float32Array, dims: number): number[] {
  return Array.from({ length: seq.length / dims }, (_, t) => seq[t * dims]! / 10);
}

function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return s / v.length;
}

function std(v: ArrayLike<number>): number {
  const m = mean(v);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i]! - m) ** 2;
  return Math.sqrt(s / v.length);
}

const transforms = [
  ['jitter', jitterSequences],
  ['scaling', scaleSequences],
  ['permutation', permuteSegments],
] as const;

describe.each(transforms)('%s', (_, transform) => {
  it('keeps every shape, leaves the input alone, and is reproducible from the seed', () => {
    const batch = randomBatch([20, 7, 33, 1, 0], 5, 1);
    const before = batch.sequences.map((s) => Float32Array.from(s));
    const out = transform(batch, { seed: 3 });
    expect(out.map((s) => s.length)).toEqual([100, 35, 165, 5, 0]);
    expect(batch.sequences).toEqual(before);
    expect(transform(batch, { seed: 3 })).toEqual(out);
    expect(transform(batch, { seed: 4 })).not.toEqual(out);
  });

  it("gives a sequence the same result whatever else is in the batch", () => {
    const batch = randomBatch([20, 30, 25], 3, 2);
    const alone = transform({ dims: 3, sequences: [batch.sequences[0]!] }, { seed: 5 });
    expect(transform(batch, { seed: 5 })[0]).toEqual(alone[0]);
  });

  it('rejects a sequence that is not whole steps', () => {
    expect(() => transform({ dims: 3, sequences: [new Float32Array(7)] })).toThrow(RangeError);
  });
});

describe('jitterSequences', () => {
  it('adds zero-mean noise with std sigma', () => {
    const batch = randomBatch(Array(50).fill(100), 8, 3); // 40 000 values
    const out = jitterSequences(batch, { sigma: 0.2, seed: 1 });
    const noise = new Float64Array(40_000);
    let i = 0;
    out.forEach((s, k) => s.forEach((v, j) => (noise[i++] = v - batch.sequences[k]![j]!)));
    expect(std(noise)).toBeGreaterThan(0.2 * 0.97);
    expect(std(noise)).toBeLessThan(0.2 * 1.03);
    expect(Math.abs(mean(noise))).toBeLessThan(0.005); // 5 standard errors
  });

  it('is the identity at sigma 0 and refuses a negative sigma', () => {
    const batch = randomBatch([10], 2, 4);
    expect(jitterSequences(batch, { sigma: 0 })).toEqual(batch.sequences);
    expect(() => jitterSequences(batch, { sigma: -0.1 })).toThrow(ConfigError);
  });
});

describe('scaleSequences', () => {
  it('multiplies each feature by one factor per sequence, factors ~ N(1, sigma)', () => {
    const dims = 6;
    const batch = randomBatch(Array(400).fill(12), dims, 5);
    const out = scaleSequences(batch, { sigma: 0.1, seed: 2 });
    const factors: number[] = [];
    out.forEach((s, k) => {
      const input = batch.sequences[k]!;
      for (let j = 0; j < dims; j++) {
        // The factor read at the step where the feature is largest (least rounding)...
        let at = 0;
        for (let t = 1; t < 12; t++) if (Math.abs(input[t * dims + j]!) > Math.abs(input[at * dims + j]!)) at = t;
        const f = s[at * dims + j]! / input[at * dims + j]!;
        // ...holds at every step of the sequence (float32 rounding aside).
        for (let t = 0; t < 12; t++) expect(s[t * dims + j]!).toBeCloseTo(input[t * dims + j]! * f, 4);
        factors.push(f);
      }
    });
    expect(std(factors)).toBeGreaterThan(0.1 * 0.92);
    expect(std(factors)).toBeLessThan(0.1 * 1.08);
    expect(Math.abs(mean(factors) - 1)).toBeLessThan(0.01);
  });
});

describe('permuteSegments', () => {
  it('reorders whole segments: the same steps, in at most `segments` runs kept in order', () => {
    const dims = 3;
    const batch = labelledSteps(Array(200).fill(40), dims);
    const out = permuteSegments(batch, { segments: 4, minSegmentLength: 5, seed: 7 });
    let reordered = 0;
    for (const seq of out) {
      const order = stepOrder(seq, dims);
      // Steps stay whole: feature j of a step still belongs to that step.
      for (let t = 0; t < 40; t++) for (let j = 0; j < dims; j++) expect(seq[t * dims + j]).toBe(order[t]! * 10 + j);
      expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, t) => t));
      // Maximal runs of consecutive steps: adjacent segments left in order merge into one.
      const runs: number[] = [1];
      for (let t = 1; t < 40; t++) {
        if (order[t] === order[t - 1]! + 1) runs[runs.length - 1]!++;
        else runs.push(1);
      }
      expect(runs.length).toBeLessThanOrEqual(4);
      for (const r of runs) expect(r).toBeGreaterThanOrEqual(5);
      if (runs.length > 1) reordered++;
    }
    // 4 segments stay in order with probability 1/24.
    expect(reordered).toBeGreaterThan(150);
  });

  it('uses fewer segments in a sequence too short for them', () => {
    const out = permuteSegments(labelledSteps([7], 2), { segments: 4, minSegmentLength: 3, seed: 1 });
    const order = stepOrder(out[0]!, 2);
    expect([...order].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // Two segments of at least 3 steps: either in order, or the later one first.
    const rotatedAt = order.indexOf(0);
    expect(order).toEqual([...order.slice(0, rotatedAt), ...Array.from({ length: 7 - rotatedAt }, (_, t) => t)]);
    expect(rotatedAt === 0 || (rotatedAt >= 3 && rotatedAt <= 4)).toBe(true);
  });

  it('refuses fewer than one segment', () => {
    expect(() => permuteSegments(labelledSteps([5], 1), { segments: 0 })).toThrow(ConfigError);
  });
});
