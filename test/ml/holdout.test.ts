import { describe, expect, it } from 'vitest';
import { timeOrderedHoldout } from '../../src/training/holdout.js';
import { classWeights } from '../../src/training/class-weights.js';
import { selectRows } from '../../src/training/dataset.js';

describe('timeOrderedHoldout', () => {
  // Class 0 spans the whole range, class 1 only early times, class 2 only late ones, like
  // attacks that each ran on one day; rows are deliberately not in time order.
  const rows: [number, number][] = [];
  for (let i = 0; i < 20; i++) rows.push([0, (i * 7) % 20 * 100]);
  for (let i = 0; i < 10; i++) rows.push([1, 10 + ((i * 3) % 10)]);
  for (let i = 0; i < 5; i++) rows.push([2, 5000 + i]);
  rows.push([3, 1]);
  const y = Int32Array.from(rows, (r) => r[0]);
  const ts = Float64Array.from(rows, (r) => r[1]);
  const split = timeOrderedHoldout(ts, y, 0.2);

  it('holds out the latest share of every class', () => {
    const held = (c: number) => Array.from(split.holdout).filter((i) => y[i] === c);
    const kept = (c: number) => Array.from(split.train).filter((i) => y[i] === c);
    for (const [c, n] of [[0, 4], [1, 2], [2, 1]] as const) {
      expect(held(c).length).toBe(n);
      const latestKept = Math.max(...kept(c).map((i) => ts[i]!));
      for (const i of held(c)) expect(ts[i]!).toBeGreaterThanOrEqual(latestKept);
    }
    // A global cut at the same share would have held out classes 2 and 0 only.
    expect(held(1).length).toBeGreaterThan(0);
  });

  it('keeps a single-row class in training and partitions all rows', () => {
    expect(Array.from(split.train).some((i) => y[i] === 3)).toBe(true);
    const all = [...split.train, ...split.holdout].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: y.length }, (_, i) => i));
    expect(Array.from(split.train)).toEqual([...split.train].sort((a, b) => a - b));
  });

  it('breaks time ties by row order, treats missing times as oldest, checks its input', () => {
    const s = timeOrderedHoldout(Float64Array.of(5, 5, Number.NaN, 5), Int32Array.of(0, 0, 0, 0), 0.5);
    expect(Array.from(s.holdout)).toEqual([1, 3]);
    expect(() => timeOrderedHoldout(ts, y, 1)).toThrow(RangeError);
    expect(() => timeOrderedHoldout(ts, y.subarray(1), 0.2)).toThrow(RangeError);
  });
});

describe('classWeights', () => {
  it('is inverse frequency with a mean row weight of 1, and 0 for absent classes', () => {
    const y = Int32Array.from([...new Array<number>(90).fill(0), ...new Array<number>(10).fill(1)]);
    const w = classWeights(y, 3);
    expect(w[0]! * 90).toBeCloseTo(w[1]! * 10, 4);
    expect((w[0]! * 90 + w[1]! * 10) / 100).toBeCloseTo(1, 6);
    expect(w[2]).toBe(0);
    const soft = classWeights(y, 3, 0.5);
    expect(soft[1]! / soft[0]!).toBeCloseTo(3, 4);
  });
});

describe('selectRows', () => {
  it('copies the chosen rows in order', () => {
    const data = { x: Float32Array.from([1, 2, 3, 4, 5, 6]), y: Int32Array.of(0, 1, 2), dims: 2 };
    const s = selectRows(data, Int32Array.of(2, 0));
    expect(Array.from(s.x)).toEqual([5, 6, 1, 2]);
    expect(Array.from(s.y)).toEqual([2, 0]);
  });
});
