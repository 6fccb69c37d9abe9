import { describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../src/errors/vigil-error.js';
import { balancedClassWeights } from '../../src/learn/class-weights.js';

// 6 rows of class 0, 3 of class 1, 1 of class 4; classes 2, 3, 5, 6 absent. n = 10, k = 3 present.
const labels = Int32Array.from([0, 0, 0, 0, 0, 0, 1, 1, 1, 4]);
const meanRowWeight = (w: Record<number, number>) => Array.from(labels).reduce((s, c) => s + w[c]!, 0) / labels.length;

describe('balancedClassWeights', () => {
  it('is n / (k · n_c) over the present classes only', () => {
    const w = balancedClassWeights(labels);
    expect(Object.keys(w).map(Number)).toEqual([0, 1, 4]);
    expect(w[0]).toBeCloseTo(10 / (3 * 6), 6); // 0.5556
    expect(w[1]).toBeCloseTo(10 / (3 * 3), 6); // 1.1111
    expect(w[4]).toBeCloseTo(10 / (3 * 1), 6); // 3.3333
    expect(meanRowWeight(w)).toBeCloseTo(1, 6);
  });

  it('caps the heaviest-to-lightest ratio and keeps the mean row weight at 1', () => {
    // Ceiling 2 × 0.5556 = 1.1111 clamps class 4 (3.3333 → 1.1111); class 1 is at it already.
    // Total 6·0.5556 + 3·1.1111 + 1·1.1111 = 7.7778, rescaled by 10 / 7.7778 = 9/7:
    // class 0 → 5/7, classes 1 and 4 → 10/7.
    const w = balancedClassWeights(labels, { maxRatio: 2 });
    expect(w[0]).toBeCloseTo(5 / 7, 6);
    expect(w[1]).toBeCloseTo(10 / 7, 6);
    expect(w[4]).toBeCloseTo(10 / 7, 6);
    expect(meanRowWeight(w)).toBeCloseTo(1, 6);
  });

  it('leaves weights alone when the cap is not reached', () => {
    expect(balancedClassWeights(labels, { maxRatio: 6 })).toEqual(balancedClassWeights(labels));
  });

  it('rejects bad input and options by type', () => {
    expect(() => balancedClassWeights(new Int32Array(0))).toThrow(InputError);
    expect(() => balancedClassWeights(Int32Array.from([0, 7]))).toThrow(InputError);
    expect(() => balancedClassWeights(labels, { maxRatio: 0.5 })).toThrow(ConfigError);
  });
});
