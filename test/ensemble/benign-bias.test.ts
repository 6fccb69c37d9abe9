import { describe, expect, it } from 'vitest';
import { biasTowardsNormal } from '../../src/ensemble/benign-bias.js';
import { benignFPR, confusionMatrix, macroF1 } from '../../src/evaluation/metrics.js';
import { applyClassThresholds } from '../../src/learn/class-thresholds.js';

const K = 7;

/** Rows as [true class, p_normal, p_of_the_other_class, other class]. */
function fixture(rows: Array<[number, number, number]>): { probs: Float32Array; labels: Int32Array } {
  const probs = new Float32Array(rows.length * K);
  rows.forEach(([, pn, pc], r) => {
    probs[r * K] = pn;
    probs[r * K + 1] = pc;
    // The rest of the mass spread evenly, so every row sums to 1.
    for (let c = 2; c < K; c++) probs[r * K + c] = (1 - pn - pc) / (K - 2);
  });
  return { probs, labels: Int32Array.from(rows, ([y]) => y) };
}

describe('biasTowardsNormal', () => {
  // Normals with dos scored a little higher (false alarms), and dos rows scored far higher.
  const { probs, labels } = fixture([
    [0, 0.9, 0.05],
    [0, 0.9, 0.05],
    [0, 0.9, 0.05],
    [0, 0.45, 0.5],
    [0, 0.44, 0.5],
    [1, 0.05, 0.9],
    [1, 0.1, 0.85],
    [1, 0.02, 0.95],
  ]);
  const report = (t: number[]) => {
    const c = confusionMatrix(labels, applyClassThresholds(probs, t), K);
    return { f1: macroF1(c), fpr: benignFPR(c) };
  };

  it('lowers t_normal until the benign false alarms are gone, without lowering macro-F1', () => {
    const tuned = new Array<number>(K).fill(1);
    const before = report(tuned);
    expect(before.fpr).toBeCloseTo(2 / 5, 10);
    const bias = biasTowardsNormal(probs, labels, tuned, { maxF1Drop: 0, minFactor: 0.1, steps: 10 });
    expect(bias.thresholds[0]).toBeLessThan(1);
    expect(bias.thresholds.slice(1)).toEqual(tuned.slice(1));
    const after = report(bias.thresholds);
    expect(after.fpr).toBe(0);
    expect(after.f1).toBeGreaterThanOrEqual(before.f1);
    expect(bias).toMatchObject({ benignFPR: after.fpr, macroF1: after.f1 });
  });

  it('keeps the tuned thresholds when every move would cost macro-F1', () => {
    // Here the only way to clear the false alarm also turns a dos row normal.
    const hard = fixture([
      [0, 0.45, 0.5],
      [0, 0.9, 0.05],
      [1, 0.46, 0.5],
    ]);
    const tuned = new Array<number>(K).fill(1);
    const bias = biasTowardsNormal(hard.probs, hard.labels, tuned, { maxF1Drop: 0, minFactor: 0.5, steps: 20 });
    expect(bias.factor).toBe(1);
    expect(bias.thresholds).toEqual(tuned);
  });

  it('rejects options that could not be honoured', () => {
    expect(() => biasTowardsNormal(probs, labels, new Array<number>(K).fill(1), { maxF1Drop: -1, minFactor: 0.1, steps: 5 })).toThrow(/maxF1Drop/);
  });
});
