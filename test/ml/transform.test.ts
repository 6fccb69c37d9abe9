import { describe, expect, it } from 'vitest';
import { applyTransform, fitTransform, outputDims, transformParamsProblem } from '../../src/vector/transform.js';

const slog = (v: number) => Math.sign(v) * Math.log1p(Math.abs(v));

describe('transform', () => {
  // 3 rows × 3 dims: a varying column, a constant one, one with a missing value.
  const x = Float32Array.from([0, 5, 1, 3, 5, Number.NaN, 8, 5, 3]);
  const params = fitTransform(x, 3, { clip: 10 });

  it('fits mean/std of signed log1p on present values only', () => {
    const col0 = [0, 3, 8].map(slog);
    const m0 = col0.reduce((s, v) => s + v, 0) / 3;
    const sd0 = Math.sqrt(col0.reduce((s, v) => s + (v - m0) ** 2, 0) / 3);
    expect(params.mean[0]).toBeCloseTo(m0, 12);
    expect(params.std[0]).toBeCloseTo(sd0, 12);
    expect(params.mean[2]).toBeCloseTo((slog(1) + slog(3)) / 2, 12);
    expect(params).toMatchObject({ kind: 'signed-log1p-standardize', version: 1, dims: 3, clip: 10 });
    // Plain JSON: it is saved as transform.json.
    expect(JSON.parse(JSON.stringify(params))).toEqual(params);
  });

  it('maps a constant column through std 1, and missing to 0', () => {
    expect(params.std[1]).toBe(1);
    const out = applyTransform(params, x);
    expect(out[1]).toBeCloseTo(0, 12);
    expect(out[5]).toBe(0);
    expect(out[0]).toBeCloseTo((slog(0) - params.mean[0]!) / params.std[0]!, 6);
  });

  it('clips to ±clip and treats unsanitized Infinity as missing', () => {
    const out = applyTransform(params, Float32Array.from([1e30, 1e30, 1e30, 0, Number.POSITIVE_INFINITY, -1e30]));
    expect(out[0]).toBe(10);
    expect(out[4]).toBe(0);
    expect(out[5]).toBe(-10);
  });

  it('handles negative values (the -1 sentinel) symmetrically', () => {
    const p = fitTransform(Float32Array.from([-1, 1]), 1);
    expect(p.mean[0]).toBeCloseTo(0, 12);
    const out = applyTransform(p, Float32Array.from([-1, 1]));
    expect(out[0]).toBeCloseTo(-1, 6);
    expect(out[1]).toBeCloseTo(1, 6);
  });

  it('writes in place and validates shapes and params', () => {
    const copy = x.slice();
    expect(applyTransform(params, copy, copy)).toBe(copy);
    expect(() => fitTransform(new Float32Array(4), 3)).toThrow(RangeError);
    expect(transformParamsProblem(params, 3)).toBeUndefined();
    expect(transformParamsProblem(params, 79)).toMatch(/dims/);
    expect(transformParamsProblem({ ...params, std: [1, 0, 1] }, 3)).toMatch(/std/);
  });

  it('adds standardised port indicators: the most frequent training ports, then the IANA range', () => {
    // 2 raw dims: the port, then one other feature.
    const ports = [80, 80, 80, 443, 443, 53, 22, 50000];
    const x = Float32Array.from(ports.flatMap((p) => [p, 1]));
    const p = fitTransform(x, 2, { portIndex: 0, maxPorts: 2 });
    expect(p.ports).toEqual([80, 443]);
    expect(outputDims(p)).toBe(2 + 2 + 3);
    expect(p.mean.length).toBe(7);
    // Indicator columns: training share as mean, Bernoulli std.
    expect(p.mean[2]).toBeCloseTo(3 / 8, 12);
    expect(p.std[2]).toBeCloseTo(Math.sqrt((3 / 8) * (5 / 8)), 12);
    expect(p.mean[4]).toBeCloseTo(7 / 8, 12); // well-known range
    const out = applyTransform(p, Float32Array.from([80, 1, 22, 1, 60000, 1, 8080, 1, Number.NaN, 1]));
    const on = (j: number) => (1 - p.mean[j]!) / p.std[j]!;
    const off = (j: number) => -p.mean[j]! / p.std[j]!;
    const indicators = (r: number) => Array.from(out.subarray(r * 7 + 2, r * 7 + 7));
    const expectRow = (r: number, hot: number[]) =>
      indicators(r).forEach((v, i) => expect(v, `row ${r} column ${i + 2}`).toBeCloseTo(hot.includes(i + 2) ? on(i + 2) : off(i + 2), 5));
    expectRow(0, [2, 4]); // port 80, well-known
    expectRow(1, [4]); // 22: no indicator of its own, well-known
    expectRow(2, [6]); // dynamic range
    expectRow(3, [5]); // registered range
    expect(indicators(4)).toEqual([0, 0, 0, 0, 0]); // missing port: every indicator at its mean
    expect(out[7]).toBeCloseTo((Math.log1p(22) - p.mean[0]!) / p.std[0]!, 5);
    expect(() => applyTransform(p, x, x)).toThrow(RangeError);
    expect(transformParamsProblem(p, 2)).toBeUndefined();
    expect(transformParamsProblem({ ...p, ports: [80, 80] }, 2)).toMatch(/ports/);
    expect(transformParamsProblem({ ...p, ports: [80] }, 2)).toMatch(/mean must be 6/);
    expect(outputDims(fitTransform(x, 2))).toBe(2);
  });
});
