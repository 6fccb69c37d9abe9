import { describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../src/errors/vigil-error.js';
import { gaussian } from '../../src/learn/rng.js';
import { applyTemperature, fitTemperature } from '../../src/learn/temperature-scaling.js';
import { argMaxRows } from '../../src/inference/classifier.js';
import { mulberry32 } from '../../src/training/rng.js';

const K = 7;

/**
 * Perfectly calibrated logits: each row's label is drawn from softmax of its own logits, so
 * T = 1 is the true temperature; multiplying the logits by s makes the model over-confident
 * by exactly s.
 */
function calibratedSample(n: number, seed: number): { logits: Float32Array; labels: Int32Array } {
  const rng = mulberry32(seed);
  const logits = new Float32Array(n * K);
  const labels = new Int32Array(n);
  const p = new Float64Array(K);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < K; c++) logits[r * K + c] = 1.5 * gaussian(rng);
    let sum = 0;
    for (let c = 0; c < K; c++) sum += p[c] = Math.exp(logits[r * K + c]!);
    let u = rng() * sum;
    let y = 0;
    while (y < K - 1 && (u -= p[y]!) > 0) y++;
    labels[r] = y;
  }
  return { logits, labels };
}

describe('fitTemperature', () => {
  const { logits, labels } = calibratedSample(4000, 11);

  it('finds T ≈ 5 on logits made 5× over-confident, and lowers the NLL', () => {
    const overConfident = logits.map((z) => 5 * z);
    const fit = fitTemperature(overConfident, labels);
    expect(fit.temperature).toBeGreaterThan(4.5);
    expect(fit.temperature).toBeLessThan(5.5);
    expect(fit.nllAfter).toBeLessThan(fit.nllBefore - 1); // over-confidence costs whole nats per row
    // The fitted NLL is that of the calibrated logits (same probabilities up to T's error).
    expect(fit.nllAfter).toBeCloseTo(fitTemperature(logits, labels).nllBefore, 2);
  });

  it('leaves calibrated logits near T = 1', () => {
    const fit = fitTemperature(logits, labels);
    expect(Math.abs(fit.temperature - 1)).toBeLessThan(0.1);
    expect(fit.nllAfter).toBeLessThanOrEqual(fit.nllBefore);
    expect(fit.nllBefore - fit.nllAfter).toBeLessThan(0.01);
  });

  it('accepts probabilities in place of logits and finds the same T', () => {
    const overConfident = logits.map((z) => 5 * z);
    const probs = applyTemperature(overConfident, 1);
    const fromLogits = fitTemperature(overConfident, labels);
    const fromProbs = fitTemperature(probs, labels, { input: 'probabilities' });
    expect(fromProbs.temperature).toBeCloseTo(fromLogits.temperature, 3);
    expect(fromProbs.nllBefore).toBeCloseTo(fromLogits.nllBefore, 5);
  });

  it('reports the NLL in nats per row (hand-computed)', () => {
    // softmax([0, ln 3]) = [1/4, 3/4]; label 1 → NLL = −ln 0.75 = 0.2876821
    const fit = fitTemperature(Float32Array.from([0, Math.log(3)]), Int32Array.from([1]), { numClasses: 2 });
    expect(fit.nllBefore).toBeCloseTo(0.2876821, 6);
    // One correct row: the sharper the better, so T runs to its lower bound.
    expect(fit.temperature).toBeCloseTo(0.01, 3);
  });

  it('rejects mismatched shapes and bad values by type', () => {
    expect(() => fitTemperature(new Float32Array(13), new Int32Array(2))).toThrow(InputError);
    expect(() => fitTemperature(new Float32Array(14), new Int32Array(3))).toThrow(InputError);
    expect(() => fitTemperature(new Float32Array(7), Int32Array.from([7]))).toThrow(InputError);
    expect(() => fitTemperature(Float32Array.from([0, Number.NaN]), Int32Array.from([0]), { numClasses: 2 })).toThrow(InputError);
    expect(() => fitTemperature(new Float32Array(7), Int32Array.from([0]), { minTemperature: 2 })).toThrow(ConfigError);
  });
});

describe('applyTemperature', () => {
  it('divides logits by T before the softmax (hand-computed)', () => {
    // [0, 2ln3] / 2 = [0, ln 3] → [1/4, 3/4]
    const p = applyTemperature(Float32Array.from([0, 2 * Math.log(3)]), 2, { numClasses: 2 });
    expect(p[0]).toBeCloseTo(0.25, 6);
    expect(p[1]).toBeCloseTo(0.75, 6);
  });

  it('keeps every row a distribution with the same argmax', () => {
    const { logits } = calibratedSample(50, 3);
    const n = logits.length / K;
    for (const t of [0.2, 1, 5]) {
      const p = applyTemperature(logits, t);
      for (let r = 0; r < n; r++) expect(p.subarray(r * K, (r + 1) * K).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      expect(argMaxRows(p, n, K)).toEqual(argMaxRows(logits, n, K));
    }
    expect(() => applyTemperature(logits, 0)).toThrow(ConfigError);
  });
});
