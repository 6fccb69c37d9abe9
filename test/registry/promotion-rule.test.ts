import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { decidePromotion, DEFAULT_PROMOTION_RULE, resolvePromotionRule } from '../../src/registry/promotion-rule.js';
import { holdoutReport } from './temp-registry.js';

const current = { version: 'v1', holdout: holdoutReport('v1', 0.9, { web_attack: 0.8 }) };
const candidate = (macroF1: number, recall: Parameters<typeof holdoutReport>[2] = { web_attack: 0.8 }) => ({ version: 'v2', holdout: holdoutReport('v2', macroF1, recall) });

describe('decidePromotion', () => {
  it('accepts a gain of exactly 2 points with no recall loss, despite float rounding', () => {
    // 0.9815 + 0.02 is 1.0015 in decimal but not in binary: the gain must still count.
    const base = { version: 'v1', holdout: holdoutReport('v1', 0.9615) };
    const d = decidePromotion({ version: 'v2', holdout: holdoutReport('v2', 0.9815) }, base);
    expect(d.accepted).toBe(true);
    expect(d.violations).toEqual([]);
  });

  it('refuses a gain under 2 points and says the numbers', () => {
    const d = decidePromotion(candidate(0.919), current);
    expect(d.accepted).toBe(false);
    expect(d.violations).toEqual([{ rule: 'macro-f1-gain', candidate: 0.919, current: 0.9, gain: expect.closeTo(0.019, 9), required: 0.02 }]);
    expect(d.reason).toBe('macro-F1 0.9190 vs current 0.9000: +0.0190, needs +0.0200');
  });

  it('refuses a class recall drop over 1 point even with a large macro-F1 gain', () => {
    const d = decidePromotion(candidate(0.95, { web_attack: 0.7899 }), current);
    expect(d.accepted).toBe(false);
    expect(d.violations).toEqual([
      { rule: 'class-recall-drop', class: 'web_attack', candidate: 0.7899, current: 0.8, drop: expect.closeTo(0.0101, 9), allowed: 0.01 },
    ]);
    expect(d.reason).toContain('web_attack recall 0.7899 vs current 0.8000');
  });

  it('says in an acceptance which thresholds it was judged by, default or configured', () => {
    expect(decidePromotion(candidate(0.95), current).reason).toBe('macro-F1 0.9500 vs current 0.9000: +0.0500 (needs +0.0200); no class recall dropped more than 0.0100');
    const configured = decidePromotion(candidate(0.91), current, { minMacroF1Gain: 0.005, maxRecallDrop: 0.02 });
    expect(configured.accepted).toBe(true);
    expect(configured.reason).toBe('macro-F1 0.9100 vs current 0.9000: +0.0100 (needs +0.0050); no class recall dropped more than 0.0200');
  });

  it('allows a recall drop of exactly 1 point', () => {
    expect(decidePromotion(candidate(0.95, { web_attack: 0.79 }), current).accepted).toBe(true);
  });

  it('reports every broken rule at once', () => {
    const d = decidePromotion(candidate(0.905, { dos: 0.9, web_attack: 0.5 }), current);
    expect(d.violations.map((v) => v.rule)).toEqual(['macro-f1-gain', 'class-recall-drop', 'class-recall-drop']);
  });

  it('accepts anything when there is no current model, refuses when either side is unmeasured', () => {
    expect(decidePromotion({ version: 'v2' }, null).accepted).toBe(true);
    expect(decidePromotion({ version: 'v2' }, current).violations).toEqual([{ rule: 'candidate-unmeasured', candidate: 'v2' }]);
    expect(decidePromotion(candidate(0.99), { version: 'v1' }).violations).toEqual([{ rule: 'current-unmeasured', current: 'v1' }]);
  });

  it('uses the configured thresholds', () => {
    const rule = resolvePromotionRule({ minMacroF1Gain: 0, maxRecallDrop: 0.5 });
    expect(decidePromotion(candidate(0.9, { web_attack: 0.4 }), current, rule).accepted).toBe(true);
    expect(decidePromotion(candidate(0.9, { web_attack: 0.29 }), current, rule).accepted).toBe(false);
    expect(resolvePromotionRule()).toEqual(DEFAULT_PROMOTION_RULE);
    expect(() => resolvePromotionRule({ minMacroF1Gain: Number.NaN })).toThrow(ConfigError);
    expect(() => resolvePromotionRule({ maxRecallDrop: 2 })).toThrow(/maxRecallDrop/);
  });
});
