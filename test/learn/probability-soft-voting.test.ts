import { describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../src/errors/vigil-error.js';
import { agreement, NO_ROUTE, routeOrFallback, softVote } from '../../src/learn/soft-voting.js';

const rowSums = (p: Float32Array, k: number) => Array.from({ length: p.length / k }, (_, r) => p.subarray(r * k, (r + 1) * k).reduce((s, v) => s + v, 0));

describe('softVote', () => {
  it('averages per class with the members’ class weights, then renormalises (hand-computed)', () => {
    // A = [0.6, 0.3, 0.1] with weights [3, 1, 1]; B = [0.2, 0.2, 0.6] with weights [1, 1, 3].
    // class 0: (3·0.6 + 1·0.2) / 4 = 0.5
    // class 1: (1·0.3 + 1·0.2) / 2 = 0.25
    // class 2: (1·0.1 + 3·0.6) / 4 = 0.475
    // row sum 1.225 → [0.5, 0.25, 0.475] / 1.225 = [0.4081633, 0.2040816, 0.3877551]
    const p = softVote([
      { probs: Float32Array.from([0.6, 0.3, 0.1]), weight: [3, 1, 1] },
      { probs: Float32Array.from([0.2, 0.2, 0.6]), weight: [1, 1, 3] },
    ]);
    expect(p[0]).toBeCloseTo(0.4081633, 6);
    expect(p[1]).toBeCloseTo(0.2040816, 6);
    expect(p[2]).toBeCloseTo(0.3877551, 6);
  });

  it('follows the weights: a member with weight 0 is ignored, equal weights give the plain mean', () => {
    const a = Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.1, 0.8]);
    const b = Float32Array.from([0.1, 0.1, 0.8, 0.3, 0.4, 0.3]);
    const onlyA = softVote([
      { probs: a, weight: [1, 1, 1] },
      { probs: b, weight: [0, 0, 0] },
    ]);
    Array.from(a).forEach((v, i) => expect(onlyA[i]).toBeCloseTo(v, 6));
    const mean = softVote([
      { probs: a, weight: [2, 2, 2] },
      { probs: b, weight: [2, 2, 2] },
    ]);
    Array.from(a).forEach((v, i) => expect(mean[i]).toBeCloseTo((v + b[i]!) / 2, 6));
    rowSums(mean, 3).forEach((s) => expect(s).toBeCloseTo(1, 6));
  });

  it('rows sum to 1 whatever the weights; a class no member is trusted on gets the plain mean', () => {
    const a = Float32Array.from([0.5, 0.3, 0.2, 0.05, 0.05, 0.9]);
    const b = Float32Array.from([0.2, 0.2, 0.6, 0.6, 0.3, 0.1]);
    const p = softVote([
      { probs: a, weight: [0.9, 0.1, 0] },
      { probs: b, weight: [0.2, 0.7, 0] },
    ]);
    rowSums(p, 3).forEach((s) => expect(s).toBeCloseTo(1, 6));
    // Row 0 before renormalising: class 0 (0.9·0.5 + 0.2·0.2)/1.1 = 0.4454545,
    // class 1 (0.1·0.3 + 0.7·0.2)/0.8 = 0.2125, class 2 (0.2 + 0.6)/2 = 0.4; sum 1.0579545.
    expect(p[0]).toBeCloseTo(0.4454545 / 1.0579545, 5);
    expect(p[2]).toBeCloseTo(0.4 / 1.0579545, 5);
  });

  it('rejects mismatched members by type', () => {
    const probs = Float32Array.from([0.5, 0.5]);
    expect(() => softVote([])).toThrow(InputError);
    expect(() => softVote([{ probs, weight: [1, 1] }, { probs: Float32Array.from([1, 0, 0, 1]), weight: [1, 1] }])).toThrow(InputError);
    expect(() => softVote([{ probs, weight: [1, 1] }, { probs, weight: [1, 1, 1] }])).toThrow(ConfigError);
    expect(() => softVote([{ probs, weight: [1, -1] }])).toThrow(ConfigError);
    expect(() => softVote([{ probs: Float32Array.from([0, 0]), weight: [1, 1] }])).toThrow(InputError);
  });
});

describe('agreement', () => {
  it('is the share of members predicting the final class', () => {
    const members = [Int32Array.from([0, 1, 2, 3]), Int32Array.from([0, 2, 2, 1]), Int32Array.from([1, 1, 2, 0])];
    const a = agreement(members, Int32Array.from([0, 1, 2, 6]));
    expect(Array.from(a)).toEqual([2 / 3, 2 / 3, 1, 0].map(Math.fround));
    expect(() => agreement(members, Int32Array.from([0]))).toThrow(InputError);
    expect(() => agreement([], Int32Array.from([0]))).toThrow(InputError);
  });
});

describe('routeOrFallback', () => {
  it('routes to the most probable specialist, or NO_ROUTE below the threshold', () => {
    // max 0.7 ≥ 0.5 → 0; max 0.4 < 0.5 → −1; max exactly 0.5 → routed (≥); tie 0.5/0.5 → lower index.
    const probs = Float32Array.from([0.7, 0.2, 0.1, 0.4, 0.35, 0.25, 0.2, 0.3, 0.5, 0.5, 0.5, 0]);
    expect(Array.from(routeOrFallback(probs, 0.5, 3))).toEqual([0, NO_ROUTE, 2, 0]);
    expect(Array.from(routeOrFallback(probs, 0, 3))).toEqual([0, 0, 2, 0]);
    expect(NO_ROUTE).toBe(-1);
    expect(() => routeOrFallback(probs, 1.5, 3)).toThrow(ConfigError);
    expect(() => routeOrFallback(probs, 0.5, 5)).toThrow(InputError);
  });
});
