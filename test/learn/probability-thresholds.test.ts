import { describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../src/errors/vigil-error.js';
import { confusionMatrix, macroF1 } from '../../src/evaluation/metrics.js';
import { argMaxRows } from '../../src/inference/classifier.js';
import { applyClassThresholds, tuneClassThresholds } from '../../src/learn/class-thresholds.js';
import { gaussian } from '../../src/learn/rng.js';
import { applyTemperature } from '../../src/learn/temperature-scaling.js';
import { mulberry32 } from '../../src/training/rng.js';

const f1 = (labels: Int32Array, predicted: Int32Array, k: number) => macroF1(confusionMatrix(labels, predicted, k));

describe('applyClassThresholds', () => {
  it('is the plain argmax when all thresholds are equal, ties to the lower index', () => {
    const probs = Float32Array.from([0.2, 0.5, 0.3, 0.4, 0.4, 0.2, 0.1, 0.1, 0.8]);
    expect(Array.from(applyClassThresholds(probs, [1, 1, 1]))).toEqual([1, 0, 2]);
    expect(applyClassThresholds(probs, [0.3, 0.3, 0.3])).toEqual(argMaxRows(probs, 3, 3));
  });

  it('assigns argmax of p_c / t_c', () => {
    // Row [0.2, 0.5, 0.3] with t = [1, 1, 0.5]: scores 0.2, 0.5, 0.6 → class 2.
    // Row [0.4, 0.4, 0.2]: scores 0.4, 0.4, 0.4 → tie → class 0.
    const probs = Float32Array.from([0.2, 0.5, 0.3, 0.4, 0.4, 0.2]);
    expect(Array.from(applyClassThresholds(probs, [1, 1, 0.5]))).toEqual([2, 0]);
    expect(() => applyClassThresholds(probs, [1, 0, 1])).toThrow(ConfigError);
    expect(() => applyClassThresholds(probs, [1, 1, 1, 1])).toThrow(InputError);
  });
});

describe('tuneClassThresholds', () => {
  it('recovers an under-predicted minority class (hand-computed before)', () => {
    // 50 rows of class 0 ≈ [0.8, 0.1, 0.1], 30 of class 1 ≈ [0.1, 0.8, 0.1], and 10 of
    // class 2 ≈ [0.5, 0.1, 0.4]: argmax calls every class-2 row class 0.
    // Before: class 0 P = 50/60, R = 1 → F1 = 10/11; class 1 F1 = 1; class 2 F1 = 0
    //         macro-F1 = (10/11 + 1 + 0) / 3 = 7/11.
    const rng = mulberry32(5);
    const rows: number[][] = [];
    const labels: number[] = [];
    // Jitter moves up to 0.05 from one class to another without changing any argmax.
    const add = (count: number, label: number, base: number[], from: number, to: number) => {
      for (let i = 0; i < count; i++) {
        const d = 0.05 * rng();
        rows.push(base.map((p, c) => (c === from ? p - d : c === to ? p + d : p)));
        labels.push(label);
      }
    };
    add(50, 0, [0.8, 0.1, 0.1], 0, 2);
    add(30, 1, [0.1, 0.8, 0.1], 1, 2);
    add(10, 2, [0.5, 0.1, 0.4], 2, 0);
    const probs = Float32Array.from(rows.flat());
    const y = Int32Array.from(labels);
    expect(f1(y, argMaxRows(probs, 90, 3), 3)).toBeCloseTo(7 / 11, 10);

    // The default grid (32 cuts of 90 switch points) has no cut exactly between the two
    // groups, so one or two rows stay on the wrong side; a cut at every rank finds the split.
    const coarse = tuneClassThresholds(probs, y, { numClasses: 3 });
    expect(coarse.macroF1Before).toBeCloseTo(7 / 11, 10);
    expect(coarse.macroF1After).toBeGreaterThan(0.95);
    const fine = tuneClassThresholds(probs, y, { numClasses: 3, candidates: 90 });
    expect(fine.macroF1After).toBe(1);
    expect(applyClassThresholds(probs, fine.thresholds)).toEqual(y);
  });

  it('never lowers macro-F1 on the split it was tuned on (random cases, several seeds)', () => {
    const K = 7;
    let improvedSomewhere = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const rng = mulberry32(seed);
      const n = 400;
      // Imbalanced labels (class c has weight 2^-c) and noisy logits with a class-dependent
      // bias, so argmax is systematically wrong for some classes.
      const labels = new Int32Array(n);
      const logits = new Float32Array(n * K);
      const bias = Array.from({ length: K }, () => gaussian(rng));
      for (let r = 0; r < n; r++) {
        let u = rng() * (2 - 2 ** (1 - K));
        let y = 0;
        while (y < K - 1 && (u -= 2 ** -y) > 0) y++;
        labels[r] = y;
        for (let c = 0; c < K; c++) logits[r * K + c] = bias[c]! + 1.5 * gaussian(rng) + (c === y ? 1 + rng() : 0);
      }
      const probs = applyTemperature(logits, 1);
      const tuned = tuneClassThresholds(probs, labels, { numClasses: K, candidates: 16 });
      const before = f1(labels, argMaxRows(probs, n, K), K);
      const after = f1(labels, applyClassThresholds(probs, tuned.thresholds), K);
      expect(tuned.macroF1Before).toBeCloseTo(before, 12);
      expect(tuned.macroF1After).toBeCloseTo(after, 12);
      expect(after).toBeGreaterThanOrEqual(before);
      if (after > before) improvedSomewhere++;
    }
    // The property must be exercised by moves that were taken, not by a tuner that never moves.
    expect(improvedSomewhere).toBeGreaterThanOrEqual(6);
  });

  it('keeps all thresholds at 1 when argmax is already perfect', () => {
    const probs = Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.7, 0.3]);
    const tuned = tuneClassThresholds(probs, Int32Array.from([0, 1, 0]), { numClasses: 2 });
    expect(tuned.thresholds).toEqual([1, 1]);
    expect(tuned.macroF1After).toBe(1);
  });

  it('rejects bad input and options by type', () => {
    const probs = Float32Array.from([0.9, 0.1, 0.2, 0.8]);
    expect(() => tuneClassThresholds(probs, Int32Array.from([0]), { numClasses: 2 })).toThrow(InputError);
    expect(() => tuneClassThresholds(probs, Int32Array.from([0, 2]), { numClasses: 2 })).toThrow(InputError);
    expect(() => tuneClassThresholds(probs, Int32Array.from([0, 1]), { numClasses: 2, minGain: -0.1 })).toThrow(ConfigError);
  });
});
