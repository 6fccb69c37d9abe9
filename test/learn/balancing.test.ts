import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { THREAT_CLASSES } from '../../src/events/threat-classes.js';
import { adasyn } from '../../src/learn/adasyn.js';
import { scanNeighbours } from '../../src/learn/neighbours.js';
import { gaussian } from '../../src/learn/rng.js';
import { smote, type BalancedRows } from '../../src/learn/smote.js';
import type { LabelledRows } from '../../src/training/dataset.js';
import { mulberry32, type Rng } from '../../src/training/rng.js';

/** Overlapping Gaussian blobs, one per class, `counts[c]` rows of class c. */
function blobs(counts: readonly number[], dims: number, seed: number, spread = 1): LabelledRows {
  const rng = mulberry32(seed);
  const centres = counts.map(() => Float64Array.from({ length: dims }, () => gaussian(rng)));
  const n = counts.reduce((s, v) => s + v, 0);
  const x = new Float32Array(n * dims);
  const y = new Int32Array(n);
  let r = 0;
  // Interleave the classes so that row order says nothing about the class.
  const left = [...counts];
  while (r < n) {
    for (let c = 0; c < counts.length; c++) {
      if (left[c]! === 0) continue;
      left[c]!--;
      for (let j = 0; j < dims; j++) x[r * dims + j] = centres[c]![j]! + spread * gaussian(rng);
      y[r++] = c;
    }
  }
  return { x, y, dims };
}

function classCounts(y: Int32Array): number[] {
  const counts = Array<number>(THREAT_CLASSES.length).fill(0);
  for (const c of y) counts[c]!++;
  return counts;
}

function row(d: LabelledRows, r: number): Float32Array {
  return d.x.subarray(r * d.dims, (r + 1) * d.dims);
}

function rowsOf(d: LabelledRows, c: number): Int32Array {
  return Int32Array.from({ length: d.y.length }, (_, i) => i).filter((i) => d.y[i] === c);
}

/** Row numbers of the synthetic rows of `out`: they follow the kept input rows. */
function syntheticRows(out: BalancedRows, input: LabelledRows): number[] {
  const kept = input.y.length - Object.values(out.removed).reduce((s, v) => s + v, 0);
  return Array.from({ length: out.y.length - kept }, (_, i) => kept + i);
}

/**
 * Whether point s lies on a segment from some row o of class c to one of o's k nearest rows
 * of class c (found by a full scan), within float32 rounding: s = o + u·(nb − o), 0 ≤ u ≤ 1.
 */
function onSameClassSegment(s: Float32Array, input: LabelledRows, c: number, k: number): boolean {
  const { dims } = input;
  const members = rowsOf(input, c);
  const kk = Math.min(k, members.length - 1);
  for (const o of members) {
    const xo = row(input, o);
    for (const nb of scanNeighbours(input.x, dims, members, xo, kk, o)) {
      const xn = row(input, nb);
      let dd = 0;
      let ds = 0;
      for (let j = 0; j < dims; j++) {
        dd += (xn[j]! - xo[j]!) ** 2;
        ds += (s[j]! - xo[j]!) * (xn[j]! - xo[j]!);
      }
      const u = dd > 0 ? ds / dd : 0;
      if (u < -1e-6 || u > 1 + 1e-6) continue;
      let residual = 0;
      for (let j = 0; j < dims; j++) residual = Math.max(residual, Math.abs(xo[j]! + u * (xn[j]! - xo[j]!) - s[j]!));
      if (residual < 1e-5) return true;
    }
  }
  return false;
}

// normal, dos, recon, brute_force, web_attack, botnet, intrusion
const SMALL = [120, 60, 40, 25, 8, 3, 0];

describe.each([
  ['smote', smote],
  ['adasyn', adasyn],
] as const)('%s', (name, balance) => {
  it('default strategy: every class with rows reaches the majority count; synthetic rows lie between a row and a same-class neighbour', () => {
    const input = blobs(SMALL, 3, 1);
    const out = balance(input);
    expect(classCounts(out.y)).toEqual([120, 120, 120, 120, 120, 120, 0]);
    expect(out.generated).toEqual({ normal: 0, dos: 60, recon: 80, brute_force: 95, web_attack: 112, botnet: 117, intrusion: 0 });
    // Nothing is undersampled, so the input comes first, unchanged and in order.
    expect(out.x.subarray(0, input.x.length)).toEqual(input.x);
    expect(out.y.subarray(0, input.y.length)).toEqual(input.y);
    for (const r of syntheticRows(out, input)) {
      const c = out.y[r]!;
      expect(onSameClassSegment(row(out, r), input, c, 5), `${name}: synthetic row ${r} of class ${c}`).toBe(true);
    }
  });

  it('is reproducible from the seed, and the seed matters', () => {
    const input = blobs(SMALL, 3, 2);
    const a = balance(input, { seed: 42 });
    const b = balance(input, { seed: 42 });
    const c = balance(input, { seed: 43 });
    expect(b.x).toEqual(a.x);
    expect(b.y).toEqual(a.y);
    expect(c.x).not.toEqual(a.x);
  });

  it('hits the 30/70 target exactly on a vigil-like set, largest class under 40%', () => {
    const input = blobs([5000, 18900, 10000, 4800, 70, 500, 30], 4, 3);
    const out = balance(input, { strategy: { shares: { normal: 0.3, attacksEvenly: 0.7 } } });
    const counts = classCounts(out.y);
    expect(counts).toEqual([11790, 4585, 4585, 4585, 4585, 4585, 4585]);
    expect(Math.max(...counts) / out.y.length).toBeLessThan(0.4);
    expect(out.removed).toMatchObject({ dos: 18900 - 4585, recon: 10000 - 4585, brute_force: 4800 - 4585 });
    // Undersampled classes keep distinct rows of their own input, no copies.
    for (const c of [1, 2, 3]) {
      const original = new Set(Array.from(rowsOf(input, c), (r) => row(input, r).join()));
      const kept = Array.from(rowsOf(out, c), (r) => row(out, r).join());
      expect(new Set(kept).size).toBe(4585);
      for (const k of kept) expect(original.has(k)).toBe(true);
    }
  });

  it('hits the default strategy exactly on a vigil-like set, largest class under 40%', () => {
    const input = blobs([5000, 18900, 10000, 4800, 70, 500, 30], 4, 4);
    const counts = classCounts(balance(input).y);
    expect(counts).toEqual(Array(7).fill(18900));
    expect(Math.max(...counts) / counts.reduce((s, v) => s + v, 0)).toBeLessThan(0.4);
  });

  it('hits explicit counts, undersampling and oversampling as asked', () => {
    const input = blobs(SMALL, 3, 5);
    const out = balance(input, { strategy: { counts: { normal: 50, recon: 90, botnet: 10 } } });
    expect(classCounts(out.y)).toEqual([50, 60, 90, 25, 8, 10, 0]);
    expect(out.removed.normal).toBe(70);
    expect(out.generated).toMatchObject({ recon: 50, botnet: 7, dos: 0 });
  });

  it('uses the k\' = rows − 1 other rows of a 3-row class, and jitters copies of a 1-row class', () => {
    // brute_force has 3 rows, web_attack 1; one constant feature (index 2) for the jitter.
    const input = blobs([200, 0, 0, 3, 1, 0, 0], 3, 6);
    for (let r = 0; r < input.y.length; r++) input.x[r * 3 + 2] = 0.5;
    const out = balance(input);
    const triple = rowsOf(input, 3);
    const pairsUsed = new Set<string>();
    const single = row(input, rowsOf(input, 4)[0]!);
    const deviations: number[][] = [[], []];
    for (const r of syntheticRows(out, input)) {
      const s = row(out, r);
      if (out.y[r] === 3) {
        expect(onSameClassSegment(s, input, 3, 2)).toBe(true);
        // Which pair of the three rows this one lies between: all three pairs must occur.
        for (const [a, b] of [[0, 1], [0, 2], [1, 2]] as const) {
          const sub = { x: Float32Array.from([...row(input, triple[a]!), ...row(input, triple[b]!)]), y: Int32Array.from([3, 3]), dims: 3 };
          if (onSameClassSegment(s, sub, 3, 1)) pairsUsed.add(`${a}${b}`);
        }
      } else {
        expect(out.y[r]).toBe(4);
        expect(s[2]).toBe(0.5); // a constant feature gets no jitter
        for (let j = 0; j < 2; j++) deviations[j]!.push(s[j]! - single[j]!);
      }
    }
    expect(pairsUsed).toEqual(new Set(['01', '02', '12']));
    expect(deviations[0]).toHaveLength(199);
    const featureStd = [0, 1].map((j) => std(Array.from(input.y, (_, r) => input.x[r * 3 + j]!)));
    for (let j = 0; j < 2; j++) {
      const d = deviations[j]!;
      expect(new Set(d).size).toBeGreaterThan(190); // not plain copies
      expect(std(d)).toBeGreaterThan(0.01 * featureStd[j]! * 0.8);
      expect(std(d)).toBeLessThan(0.01 * featureStd[j]! * 1.2);
    }
  });

  it('rejects options and rows it cannot use', () => {
    const input = blobs(SMALL, 3, 7);
    expect(() => balance(input, { k: 0 })).toThrow(ConfigError);
    expect(() => balance(input, { singletonJitter: -1 })).toThrow(ConfigError);
    const withNaN = { ...input, x: Float32Array.from(input.x) };
    withNaN.x[5] = Number.NaN;
    expect(() => balance(withNaN)).toThrow(/row 1, feature 2 is NaN/);
    expect(() => balance({ ...input, y: input.y.map((c, i) => (i === 0 ? 9 : c)) })).toThrow(RangeError);
  });
});

describe('adasyn', () => {
  it('on a class far from every other class, makes exactly the rows SMOTE makes', () => {
    // dos (class 1) sits 1000 away from the rest; normal and recon overlap.
    const input = blobs([100, 30, 40, 0, 0, 0, 0], 2, 8, 1);
    for (const r of rowsOf(input, 1)) input.x[r * 2]! += 1000;
    const a = adasyn(input, { seed: 9 });
    const s = smote(input, { seed: 9 });
    const dosRows = (d: BalancedRows): number[] => Array.from(rowsOf(d, 1), (r) => Array.from(row(d, r))).flat();
    expect(dosRows(a)).toEqual(dosRows(s));
    // recon overlaps normal: there ADASYN chooses its own origins, so the rows differ.
    const reconRows = (d: BalancedRows): number[] => Array.from(rowsOf(d, 2), (r) => Array.from(row(d, r))).flat();
    expect(reconRows(a)).not.toEqual(reconRows(s));
  });

  it('gives each minority row a share of the new rows proportional to its other-class neighbours', () => {
    // normal: 400 rows uniform on [0,10]². dos (the minority) in three groups far apart:
    //   A: 12 rows scattered inside the normal square (mostly normal neighbours),
    //   C: 12 rows just outside its right edge (some normal neighbours),
    //   B: 12 rows in a tight cluster at (100, 100) (no normal neighbours).
    const rng = mulberry32(10);
    const points: [number, number, number][] = [];
    for (let i = 0; i < 400; i++) points.push([rng() * 10, rng() * 10, 0]);
    for (let i = 0; i < 12; i++) points.push([1 + (i % 4) * 1.2, 1 + Math.floor(i / 4) * 1.2, 1]); // A
    for (let i = 0; i < 12; i++) points.push([10.1 + rng() * 0.6, 7 + rng() * 3, 1]); // C
    for (let i = 0; i < 12; i++) points.push([100 + rng(), 100 + rng(), 1]); // B
    const input: LabelledRows = { x: Float32Array.from(points.flatMap(([a, b]) => [a, b])), y: Int32Array.from(points, (p) => p[2]), dims: 2 };
    const group = (s: Float32Array): 'A' | 'B' | 'C' => (s[0]! > 50 ? 'B' : s[0]! > 9.5 ? 'C' : 'A');
    // The share of each dos row's 5 nearest rows that are normal, by a full scan.
    const all = Int32Array.from({ length: input.y.length }, (_, i) => i);
    const ratio = new Map<string, number>([['A', 0], ['B', 0], ['C', 0]]);
    for (const r of rowsOf(input, 1)) {
      const near = scanNeighbours(input.x, 2, all, row(input, r), 5, r);
      const g = group(row(input, r));
      ratio.set(g, ratio.get(g)! + Array.from(near).filter((nb) => input.y[nb] === 0).length / 5);
    }
    const totalRatio = ratio.get('A')! + ratio.get('B')! + ratio.get('C')!;
    expect(ratio.get('B')).toBe(0);
    expect(ratio.get('A')!).toBeGreaterThan(ratio.get('C')!);
    expect(ratio.get('C')!).toBeGreaterThan(0);

    const made = (out: BalancedRows): Map<string, number> => {
      const m = new Map<string, number>([['A', 0], ['B', 0], ['C', 0]]);
      for (const r of syntheticRows(out, input)) m.set(group(row(out, r)), m.get(group(row(out, r)))! + 1);
      return m;
    };
    const a = made(adasyn(input));
    const generated = 400 - 36;
    for (const g of ['A', 'C']) {
      // Per row the count is the floor or ceiling of its quota: a group of 12 is off by < 12.
      expect(Math.abs(a.get(g)! - (generated * ratio.get(g)!) / totalRatio)).toBeLessThan(12);
    }
    expect(a.get('B')).toBe(0);
    // SMOTE, by contrast, spreads its origins evenly over the three groups.
    const s = made(smote(input));
    expect(s.get('B')!).toBeGreaterThan(generated / 6);
  });
});

function std(v: readonly number[]): number {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  return Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
}
