import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import {
  evaluateTriggers,
  resolveRetrainTriggerConfig,
  RETRAIN_TRIGGER_DEFAULTS,
  ruleOf,
  type RetrainRule,
  type RetrainStats,
} from '../../src/learning/retrain-triggers.js';

const DAY_MS = 86_400_000;
const NOW = 1_800_000_000_000;
const config = resolveRetrainTriggerConfig();

/** Stats where no rule fires: retrained yesterday, a few samples, overrides at 10%. */
const quiet: RetrainStats = { lastRetrainAtMs: NOW - DAY_MS, newSamples: 10, recentSamples: 100, recentOverrides: 10 };

describe('evaluateTriggers', () => {
  const cases: { name: string; stats: Partial<RetrainStats>; rules: RetrainRule[] }[] = [
    { name: 'nothing due', stats: {}, rules: [] },
    { name: '999 new samples is one short', stats: { newSamples: 999 }, rules: [] },
    { name: '1000 new samples', stats: { newSamples: 1000 }, rules: ['new-samples'] },
    { name: 'just under 7 days', stats: { lastRetrainAtMs: NOW - 7 * DAY_MS + 1 }, rules: [] },
    { name: 'exactly 7 days', stats: { lastRetrainAtMs: NOW - 7 * DAY_MS }, rules: ['age'] },
    { name: 'never retrained has no age', stats: { lastRetrainAtMs: null }, rules: [] },
    { name: 'never retrained, 1000 samples', stats: { lastRetrainAtMs: null, newSamples: 1000 }, rules: ['new-samples'] },
    { name: 'override rate exactly 15% does not fire', stats: { recentSamples: 100, recentOverrides: 15 }, rules: [] },
    { name: 'override rate 16%', stats: { recentSamples: 100, recentOverrides: 16 }, rules: ['override-rate'] },
    { name: 'high rate on too few samples', stats: { recentSamples: 49, recentOverrides: 49 }, rules: [] },
    { name: 'high rate on the minimum sample count', stats: { recentSamples: 50, recentOverrides: 8 }, rules: ['override-rate'] },
    {
      name: 'all three',
      stats: { lastRetrainAtMs: NOW - 8 * DAY_MS, newSamples: 5000, recentSamples: 500, recentOverrides: 100 },
      rules: ['new-samples', 'age', 'override-rate'],
    },
    { name: 'two of three', stats: { newSamples: 1200, recentSamples: 500, recentOverrides: 400 }, rules: ['new-samples', 'override-rate'] },
  ];
  it.each(cases)('$name', ({ stats, rules }) => {
    const decision = evaluateTriggers({ ...quiet, ...stats }, config, NOW);
    expect(decision.reasons.map(ruleOf)).toEqual(rules);
    expect(decision.fire).toBe(rules.length > 0);
  });

  it('says what it measured', () => {
    const decision = evaluateTriggers({ ...quiet, newSamples: 1234, recentSamples: 200, recentOverrides: 50 }, config, NOW);
    expect(decision.reasons).toEqual(['new-samples: 1234 >= 1000', 'override-rate: 50/200 = 0.250 > 0.15']);
  });

  it('follows configured thresholds', () => {
    const strict = resolveRetrainTriggerConfig({ minNewSamples: 10, maxAgeMs: DAY_MS, overrideRate: { threshold: 0.05, minSamples: 20 } });
    const decision = evaluateTriggers({ ...quiet, recentSamples: 20, recentOverrides: 2 }, strict, NOW);
    expect(decision.reasons.map(ruleOf)).toEqual(['new-samples', 'age', 'override-rate']);
  });
});

describe('resolveRetrainTriggerConfig', () => {
  it('fills in the defaults, also inside a partial overrideRate', () => {
    expect(resolveRetrainTriggerConfig()).toEqual(RETRAIN_TRIGGER_DEFAULTS);
    expect(resolveRetrainTriggerConfig({ overrideRate: { threshold: 0.3 } }).overrideRate).toEqual({ ...RETRAIN_TRIGGER_DEFAULTS.overrideRate, threshold: 0.3 });
  });

  it.each([
    [{ minNewSamples: 0 }, 'minNewSamples'],
    [{ maxAgeMs: 1.5 }, 'maxAgeMs'],
    [{ overrideRate: { threshold: 1.2 } }, 'overrideRate.threshold'],
    [{ overrideRate: { minSamples: 600 } }, 'overrideRate.minSamples must not exceed'],
    [{ minSamples: 10 }, 'minSamples'],
  ])('rejects %j naming %s', (options, named) => {
    expect(() => resolveRetrainTriggerConfig(options as never)).toThrow(ConfigError);
    expect(() => resolveRetrainTriggerConfig(options as never)).toThrow(named);
  });
});
