import { describe, expect, it } from 'vitest';
import { THREAT_CLASSES } from '../../src/events/threat-classes.js';
import { formatReport } from '../../src/evaluation/format-report.js';
import { benignFPR, confusionMatrix, evaluatePredictions } from '../../src/evaluation/metrics.js';

// [true, predicted, count]; class indices follow THREAT_CLASSES.
const cells: [number, number, number][] = [
  [0, 0, 8], [0, 1, 1], [0, 2, 1], // normal: 2 of 10 flagged
  [1, 1, 4], [1, 0, 1],
  [2, 2, 3],
  [3, 3, 1], [3, 4, 1], // web_attack has no rows but is predicted once
  [5, 0, 2], // botnet is never predicted
  [6, 6, 1],
];
const yTrue = Int32Array.from(cells.flatMap(([t, , n]) => new Array<number>(n).fill(t)));
const yPred = Int32Array.from(cells.flatMap(([, p, n]) => new Array<number>(n).fill(p)));
const report = evaluatePredictions(yTrue, yPred, 'm-1');

describe('evaluatePredictions', () => {
  it('has exactly the contract keys, in order', () => {
    expect(Object.keys(report)).toEqual(['model', 'rows', 'macroF1', 'benignFPR', 'perClass', 'confusion', 'classes']);
    expect(Object.keys(report.perClass)).toEqual([...THREAT_CLASSES]);
    for (const c of THREAT_CLASSES) expect(Object.keys(report.perClass[c])).toEqual(['precision', 'recall', 'f1', 'support']);
    expect(report.classes).toEqual([...THREAT_CLASSES]);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('counts the confusion as rows = true, columns = predicted', () => {
    expect(report.model).toBe('m-1');
    expect(report.rows).toBe(23);
    expect(report.confusion.length).toBe(7);
    expect(report.confusion[0]).toEqual([8, 1, 1, 0, 0, 0, 0]);
    expect(report.confusion[5]).toEqual([2, 0, 0, 0, 0, 0, 0]);
    expect(report.confusion[4]).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('matches hand-computed precision, recall and F1', () => {
    const expected: Record<string, [number, number, number, number]> = {
      normal: [8 / 11, 8 / 10, 16 / 21, 10],
      dos: [4 / 5, 4 / 5, 4 / 5, 5],
      recon: [3 / 4, 1, 6 / 7, 3],
      brute_force: [1, 1 / 2, 2 / 3, 2],
      web_attack: [0, 0, 0, 0], // zero support, predicted once: precision 0, recall 0/0 -> 0
      botnet: [0, 0, 0, 2], // never predicted: precision 0/0 -> 0
      intrusion: [1, 1, 1, 1],
    };
    for (const [c, [p, r, f1, support]] of Object.entries(expected)) {
      const m = report.perClass[c as (typeof THREAT_CLASSES)[number]];
      expect(m.precision, `${c} precision`).toBeCloseTo(p, 12);
      expect(m.recall, `${c} recall`).toBeCloseTo(r, 12);
      expect(m.f1, `${c} f1`).toBeCloseTo(f1, 12);
      expect(m.support).toBe(support);
    }
    expect(report.macroF1).toBeCloseTo(143 / 245, 12);
    expect(report.benignFPR).toBeCloseTo(0.2, 12);
  });

  it('defines the empty cases as 0 and rejects bad input', () => {
    expect(benignFPR(confusionMatrix(Int32Array.of(1), Int32Array.of(0)))).toBe(0);
    const empty = evaluatePredictions(new Int32Array(0), new Int32Array(0), 'm');
    expect(empty.macroF1).toBe(0);
    expect(empty.rows).toBe(0);
    expect(() => evaluatePredictions(Int32Array.of(7), Int32Array.of(0), 'm')).toThrow(RangeError);
    expect(() => evaluatePredictions(Int32Array.of(1, 2), Int32Array.of(0), 'm')).toThrow(RangeError);
  });

  it('formats a readable table with class names', () => {
    const text = formatReport(report);
    for (const c of THREAT_CLASSES) expect(text).toContain(c);
    expect(text).toMatch(/macro-F1\s+0\.5837/);
    expect(text).toMatch(/benign FPR\s+20\.00%/);
    expect(text).toMatch(/^normal\s+0\.7273\s+0\.8000\s+0\.7619\s+10$/m);
  });
});
