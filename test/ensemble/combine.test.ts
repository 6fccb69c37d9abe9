import { describe, expect, it } from 'vitest';
import { combineMembers, type CombineSettings, type MemberProbabilities } from '../../src/ensemble/combine.js';
import { NO_ROUTE } from '../../src/learn/soft-voting.js';

const K = 7;
const ones = (v = 1) => new Array<number>(K).fill(v);

/** One row: general, router and the dos specialist's [rest, dos]. */
function fixture(router: number[], dosQ = 0.9): MemberProbabilities {
  const specialists: Array<Float32Array | undefined> = [undefined];
  for (let c = 1; c < K; c++) specialists.push(Float32Array.from(c === 1 ? [1 - dosQ, dosQ] : [0.99, 0.01]));
  return { general: Float32Array.from([0.4, 0.4, 0.2, 0, 0, 0, 0]), router: Float32Array.from(router), specialists };
}

const settings = (routerThreshold: number): CombineSettings => ({
  routerThreshold,
  weights: { general: [1, 0.5, 1, 1, 1, 1, 1], router: ones(0.5), specialists: [0, 2, 1, 1, 1, 1, 1] },
  thresholds: ones(),
});

describe('combineMembers', () => {
  it('routed row: the per-class weighted mix of general, router and the routed specialist, renormalised', () => {
    const router = [0.1, 0.7, 0.05, 0.05, 0.05, 0.05, 0];
    const out = combineMembers(fixture(router), settings(0.6));
    // Hand computation. The dos specialist (q = 0.9) votes 0.9 on dos and spreads 0.1 over the
    // other classes as the general model does (normal 0.4/0.6, recon 0.2/0.6), with weight 2 on
    // dos only. Per class: Σ w·p / Σ w over the members weighted on that class.
    const raw = [
      (1 * 0.4 + 0.5 * 0.1) / 1.5,
      (0.5 * 0.4 + 0.5 * 0.7 + 2 * 0.9) / 3,
      (1 * 0.2 + 0.5 * 0.05) / 1.5,
      (0.5 * 0.05) / 1.5,
      (0.5 * 0.05) / 1.5,
      (0.5 * 0.05) / 1.5,
      0,
    ];
    const sum = raw.reduce((s, v) => s + v, 0);
    expect(out.routes[0]).toBe(1);
    raw.forEach((v, c) => expect(out.probs[c]).toBeCloseTo(v / sum, 6));
    expect(out.predicted[0]).toBe(1);
  });

  it('falls back to the general model alone when the router is below its threshold', () => {
    const unsure = [0.2, 0.55, 0.1, 0.05, 0.05, 0.05, 0];
    const fallback = combineMembers(fixture(unsure), settings(0.6));
    expect(fallback.routes[0]).toBe(NO_ROUTE);
    expect(Array.from(fallback.probs)).toEqual(Array.from(Float32Array.from([0.4, 0.4, 0.2, 0, 0, 0, 0])));
    // Ties go to the lowest index: the general model alone says normal.
    expect(fallback.predicted[0]).toBe(0);
    // The same row above a lower threshold is routed to the dos specialist, which decides it.
    const routed = combineMembers(fixture(unsure), settings(0.5));
    expect(routed.routes[0]).toBe(1);
    expect(routed.predicted[0]).toBe(1);
  });

  it("with fallback 'panel', a row the router cannot place is voted by general, router and every specialist on its own class", () => {
    const unsure = [0.2, 0.55, 0.1, 0.05, 0.05, 0.05, 0];
    const out = combineMembers(fixture(unsure), { ...settings(0.6), fallback: 'panel' });
    expect(out.routes[0]).toBe(NO_ROUTE);
    // Hand computation: class c is the weighted mean of general (w 1; 0.5 on dos), router
    // (w 0.5) and specialist c's q_c (w 2 for dos, 1 for the others; q 0.9 dos, 0.01 the rest).
    const raw = [
      (1 * 0.4 + 0.5 * 0.2) / 1.5,
      (0.5 * 0.4 + 0.5 * 0.55 + 2 * 0.9) / 3,
      (1 * 0.2 + 0.5 * 0.1 + 1 * 0.01) / 2.5,
      (0.5 * 0.05 + 0.01) / 2.5,
      (0.5 * 0.05 + 0.01) / 2.5,
      (0.5 * 0.05 + 0.01) / 2.5,
      0.01 / 2.5,
    ];
    const sum = raw.reduce((a, v) => a + v, 0);
    raw.forEach((v, c) => expect(out.probs[c]).toBeCloseTo(v / sum, 6));
    // The general model alone says normal (tie, lowest index); the panel hears the dos specialist.
    expect(out.predicted[0]).toBe(1);
    // Routed rows are voted as before: the panel only changes who decides a fallback row.
    const routed = [0.1, 0.7, 0.05, 0.05, 0.05, 0.05, 0];
    expect(Array.from(combineMembers(fixture(routed), { ...settings(0.6), fallback: 'panel' }).probs)).toEqual(Array.from(combineMembers(fixture(routed), settings(0.6)).probs));
  });

  it('refuses a fallback rule it does not know', () => {
    const s = { ...settings(0.6), fallback: 'vote' } as unknown as CombineSettings;
    expect(() => combineMembers(fixture([0.2, 0.55, 0.1, 0.05, 0.05, 0.05, 0]), s)).toThrow(/fallback must be one of general, panel/);
  });

  it('a row routed to normal is voted by the general model and router only', () => {
    const toNormal = [0.9, 0.02, 0.02, 0.02, 0.02, 0.02, 0];
    const a = combineMembers(fixture(toNormal, 0.9), settings(0.6));
    const b = combineMembers(fixture(toNormal, 0.1), settings(0.6));
    expect(a.routes[0]).toBe(0);
    expect(Array.from(a.probs)).toEqual(Array.from(b.probs));
  });

  it('decides with the class thresholds, not the plain argmax', () => {
    const members = fixture([0.2, 0.55, 0.1, 0.05, 0.05, 0.05, 0]);
    const s = settings(0.6);
    // Fallback row: p = general = [0.4, 0.4, 0.2, ...]; t_recon = 0.4 makes recon's 0.2/0.4 = 0.5 win.
    const out = combineMembers(members, { ...s, thresholds: [1, 1, 0.4, 1, 1, 1, 1] });
    expect(out.predicted[0]).toBe(2);
  });

  it('with a specialist gate, an attack its specialist does not confirm gives way to the next confirmed class', () => {
    // Fallback row, p = general = [0.4, 0.4, 0.2, 0, ...]; t_dos = 0.5 makes dos win (0.8).
    const s = { ...settings(0.6), thresholds: [1, 0.5, 1, 1, 1, 1, 1] };
    const unsure = [0.2, 0.55, 0.1, 0.05, 0.05, 0.05, 0];
    expect(combineMembers(fixture(unsure, 0.3), s).predicted[0]).toBe(1);
    // The dos specialist says 0.3 < 0.5: dos is not confirmed; recon's specialist (0.01) does
    // not confirm recon either, so the row is normal.
    expect(combineMembers(fixture(unsure, 0.3), { ...s, specialistGate: 0.5 }).predicted[0]).toBe(0);
    // A confident dos specialist confirms it.
    expect(combineMembers(fixture(unsure, 0.9), { ...s, specialistGate: 0.5 }).predicted[0]).toBe(1);
  });

  it('refuses weights that do not cover every class', () => {
    const s = settings(0.6);
    expect(() => combineMembers(fixture([0.1, 0.7, 0.05, 0.05, 0.05, 0.05, 0]), { ...s, weights: { ...s.weights, router: [1, 1] } })).toThrow(/router weights/);
  });
});
