import { describe, expect, it } from 'vitest';
import { buildNeighbourIndex, scanNeighbours } from '../../src/learn/neighbours.js';
import { gaussian } from '../../src/learn/rng.js';
import { mulberry32, type Rng } from '../../src/training/rng.js';

function uniformRows(n: number, dims: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n * dims }, () => rng() * 2 - 1);
}

/**
 * Rows shaped like standardised flow features: 7 clusters, each a random linear image of a
 * 5-dim Gaussian in `dims` dims, plus small full-rank noise (a low intrinsic dimension, which
 * is what real flow features have and what lets an exact index prune).
 */
function clusteredRows(n: number, dims: number, rng: Rng): Float32Array {
  const clusters = 7;
  const latent = 5;
  const centres = Array.from({ length: clusters }, () => Float64Array.from({ length: dims }, () => 2 * gaussian(rng)));
  const loadings = Array.from({ length: clusters }, () => Float64Array.from({ length: dims * latent }, () => gaussian(rng) / Math.sqrt(latent)));
  const x = new Float32Array(n * dims);
  const z = new Float64Array(latent);
  for (let i = 0; i < n; i++) {
    const c = i % clusters;
    for (let l = 0; l < latent; l++) z[l] = gaussian(rng);
    for (let j = 0; j < dims; j++) {
      let v = centres[c]![j]! + 0.02 * gaussian(rng);
      for (let l = 0; l < latent; l++) v += loadings[c]![j * latent + l]! * z[l]!;
      x[i * dims + j] = v;
    }
  }
  return x;
}

const allRows = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

describe('buildNeighbourIndex', () => {
  it.each([2, 5, 20, 79])('returns exactly the k nearest rows of a scan, itself excluded, in %i dims', (dims) => {
    const rng = mulberry32(dims);
    const n = 1500;
    const x = uniformRows(n, dims, rng);
    const index = buildNeighbourIndex(x, dims);
    for (let r = 0; r < n; r++) {
      const got = index.neighboursOfRow(r, 5);
      expect(got).not.toContain(r);
      expect(Array.from(got)).toEqual(Array.from(scanNeighbours(x, dims, allRows(n), x.subarray(r * dims, (r + 1) * dims), 5, r)));
    }
    // Points that are not rows of the matrix.
    for (let t = 0; t < 100; t++) {
      const q = uniformRows(1, dims, rng);
      expect(Array.from(index.nearest(q, 7))).toEqual(Array.from(scanNeighbours(x, dims, allRows(n), q, 7)));
    }
  });

  it('indexes a subset of rows and answers with their ids', () => {
    const rng = mulberry32(11);
    const dims = 6;
    const x = uniformRows(3000, dims, rng);
    const subset = Int32Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 3 === 1);
    const index = buildNeighbourIndex(x, dims, subset);
    expect(index.size).toBe(1000);
    for (let t = 0; t < 300; t++) {
      const r = t * 10; // rows outside the subset too: nothing to exclude then
      const got = index.neighboursOfRow(r, 5);
      for (const id of got) expect(id % 3).toBe(1);
      expect(Array.from(got)).toEqual(Array.from(scanNeighbours(x, dims, subset, x.subarray(r * dims, (r + 1) * dims), 5, r)));
    }
  });

  it('keeps duplicates of the query row (distance 0) and leaves out only the row itself', () => {
    const rng = mulberry32(5);
    const dims = 4;
    const base = uniformRows(200, dims, rng);
    // Every row appears three times: rows r, r + 200 and r + 400 are equal.
    const x = new Float32Array(600 * dims);
    for (let c = 0; c < 3; c++) x.set(base, c * 200 * dims);
    const index = buildNeighbourIndex(x, dims);
    for (let r = 0; r < 600; r++) {
      const got = Array.from(index.neighboursOfRow(r, 4));
      const twins = [r % 200, (r % 200) + 200, (r % 200) + 400].filter((t) => t !== r);
      expect(got.slice(0, 2)).toEqual(twins);
      expect(got).toEqual(Array.from(scanNeighbours(x, dims, allRows(600), x.subarray(r * dims, (r + 1) * dims), 4, r)));
    }
  });

  it('returns every other row when fewer than k exist, and nothing from an empty index', () => {
    const x = Float32Array.from([0, 0, 1, 0, 5, 5]);
    const index = buildNeighbourIndex(x, 2);
    expect(Array.from(index.neighboursOfRow(0, 5))).toEqual([1, 2]);
    expect(Array.from(index.neighboursOfRow(2, 5))).toEqual([1, 0]);
    expect(buildNeighbourIndex(x, 2, new Int32Array(0)).nearest([0, 0], 3)).toHaveLength(0);
  });

  it('rejects a matrix that is not whole rows, a row outside it, and k < 1', () => {
    expect(() => buildNeighbourIndex(new Float32Array(5), 2)).toThrow(RangeError);
    expect(() => buildNeighbourIndex(new Float32Array(4), 2, Int32Array.from([2]))).toThrow(RangeError);
    expect(() => buildNeighbourIndex(new Float32Array(4), 2).neighboursOfRow(0, 0)).toThrow(RangeError);
  });

  it('builds and answers every row of 30 000 × 79 in seconds, exactly', () => {
    const n = 30_000;
    const dims = 79;
    const x = clusteredRows(n, dims, mulberry32(79));
    const t0 = performance.now();
    const index = buildNeighbourIndex(x, dims);
    const t1 = performance.now();
    const answers: Int32Array[] = [];
    for (let r = 0; r < n; r++) answers.push(index.neighboursOfRow(r, 5));
    const t2 = performance.now();
    const sample = 100;
    for (let s = 0; s < sample; s++) {
      const r = (s * 149) % n;
      expect(Array.from(answers[r]!)).toEqual(Array.from(scanNeighbours(x, dims, allRows(n), x.subarray(r * dims, (r + 1) * dims), 5, r)));
    }
    const t3 = performance.now();
    const scanAll = ((t3 - t2) / sample) * n;
    console.log(
      `ball tree, 30000 x 79, k = 5: build ${(t1 - t0).toFixed(0)} ms, ${n} queries ${(t2 - t1).toFixed(0)} ms; ` +
        `the scan reference would take ~${(scanAll / 1000).toFixed(0)} s for all rows`,
    );
  });
});
