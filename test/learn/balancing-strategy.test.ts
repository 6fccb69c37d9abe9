import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { apportion, targetCounts } from '../../src/learn/sampling-strategy.js';
import { mulberry32 } from '../../src/training/rng.js';

// THREAT_CLASSES order: normal, dos, recon, brute_force, web_attack, botnet, intrusion.
const VIGIL_LIKE = [5000, 18900, 10000, 4800, 70, 500, 30];

describe('targetCounts', () => {
  it("'not majority' lifts every class with rows to the largest count", () => {
    expect(Array.from(targetCounts(VIGIL_LIKE, 'not majority'))).toEqual(Array(7).fill(18900));
    expect(Array.from(targetCounts([10, 0, 3, 0, 0, 0, 1], 'not majority'))).toEqual([10, 0, 10, 0, 0, 0, 10]);
  });

  it('30% normal / 70% attacks evenly keeps the set size and hits the shares', () => {
    const t = targetCounts(VIGIL_LIKE, { shares: { normal: 0.3, attacksEvenly: 0.7 } });
    // 39 300 rows: 11 790 normal, 27 510 / 6 = 4 585 per attack class.
    expect(Array.from(t)).toEqual([11790, 4585, 4585, 4585, 4585, 4585, 4585]);
  });

  it('spreads attacksEvenly over the attack classes that have rows and no share of their own', () => {
    const t = targetCounts([100, 50, 0, 20, 10, 0, 5], { shares: { normal: 0.5, dos: 0.2, attacksEvenly: 0.3 }, total: 1000 });
    expect(Array.from(t)).toEqual([500, 200, 0, 100, 100, 0, 100]);
  });

  it('rounds by largest remainder so the counts add up to the total exactly', () => {
    const t = targetCounts(VIGIL_LIKE, { shares: { normal: 0.3, attacksEvenly: 0.7 }, total: 1001 });
    expect(t.reduce((s, v) => s + v, 0)).toBe(1001);
    expect(t[0]).toBe(300); // 300.3
    for (let c = 1; c < 7; c++) expect([116, 117]).toContain(t[c]); // 116.78 each
  });

  it('explicit counts replace the named classes and keep the others', () => {
    const t = targetCounts(VIGIL_LIKE, { counts: { normal: 6000, dos: 5000, intrusion: 400 } });
    expect(Array.from(t)).toEqual([6000, 5000, 10000, 4800, 70, 500, 400]);
  });

  it('rejects a strategy it cannot meet, naming the problem', () => {
    const bad = [
      { shares: { normal: 0.3, attacksEvenly: 0.6 } }, // sums to 0.9
      { shares: { normal: 0.3, dso: 0.7 } }, // unknown class
      { shares: { normal: 0.5, dos: 0.5 } }, // recon and others have rows but no share
      { shares: { normal: -0.1, attacksEvenly: 1.1 } },
      { shares: { normal: 0.3, attacksEvenly: 0.7 }, total: 10.5 },
      { counts: { dos: -1 } },
      { counts: { dos: 1.5 } },
      { counts: { ddos: 10 } },
    ] as const;
    for (const strategy of bad) expect(() => targetCounts(VIGIL_LIKE, strategy as never)).toThrow(ConfigError);
    // Rows cannot be made for a class without any.
    const noRecon = [100, 50, 0, 20, 10, 5, 5];
    expect(() => targetCounts(noRecon, { counts: { recon: 10 } })).toThrow(/recon.*none/);
    expect(() => targetCounts(noRecon, { shares: { normal: 0.5, recon: 0.1, attacksEvenly: 0.4 } })).toThrow(/recon.*no rows/);
    expect(() => targetCounts([10, 0, 0, 0, 0, 0, 0], { shares: { normal: 0.3, attacksEvenly: 0.7 } })).toThrow(/attacksEvenly/);
  });
});

describe('apportion', () => {
  it('gives each part the floor or ceiling of its quota, adding up to the total', () => {
    const rng = mulberry32(3);
    for (let t = 0; t < 500; t++) {
      const weights = Array.from({ length: 1 + Math.floor(rng() * 12) }, () => (rng() < 0.2 ? 0 : rng()));
      if (!weights.some((w) => w > 0)) continue;
      const total = Math.floor(rng() * 5000);
      const parts = apportion(weights, total);
      const sum = weights.reduce((s, w) => s + w, 0);
      expect(parts.reduce((s, p) => s + p, 0)).toBe(total);
      parts.forEach((p, i) => {
        const quota = (weights[i]! / sum) * total;
        expect(p).toBeGreaterThanOrEqual(Math.floor(quota - 1e-9));
        expect(p).toBeLessThanOrEqual(Math.ceil(quota + 1e-9));
      });
    }
  });

  it('gives nothing to a zero weight and refuses all-zero weights', () => {
    expect(Array.from(apportion([0, 1, 0, 1], 3))).toEqual([0, 2, 0, 1]);
    expect(() => apportion([0, 0], 3)).toThrow(RangeError);
    expect(Array.from(apportion([0, 0], 0))).toEqual([0, 0]);
  });
});
