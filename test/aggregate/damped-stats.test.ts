import { describe, expect, it } from 'vitest';
import { foldEvents } from '../../src/aggregate/aggregator.js';
import { dampedStats, dampedStatsAcross, KITSUNE_LAMBDAS } from '../../src/aggregate/damped-stats.js';
import { naiveDampedStats } from '../../src/aggregate/naive-reference.js';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { mulberry32 } from '../../src/training/rng.js';
import { expectClose, expectRecordClose, numericEvents, shuffled } from './generated-events.js';

describe('dampedStats (AfterImage)', () => {
  it('decays by 2^(−λ·Δt): two events one second apart at λ = 1', () => {
    // w = 2^-1 + 1, LS = 2^-1·2 + 4, SS = 2^-1·4 + 16, worked by hand from the paper's definitions.
    const agg = dampedStats({ lambda: 1 });
    const out = agg.finalize(foldEvents(agg, [{ value: 2, ts: 0 }, { value: 4, ts: 1000 }]));
    expect(out.weight).toBe(1.5);
    expectClose(out.mean, 5 / 1.5);
    expectClose(out.variance, 18 / 1.5 - (5 / 1.5) ** 2);
    expect(out.ts).toBe(1000);
  });

  it.each(KITSUNE_LAMBDAS)('matches the closed form at λ = %d, in order and shuffled', (lambda) => {
    const agg = dampedStats({ lambda });
    const events = numericEvents(Math.round(lambda * 100), 300);
    const expected = naiveDampedStats(events, lambda);
    expectRecordClose(agg.finalize(foldEvents(agg, events)), expected, 1e-7);
    expectRecordClose(agg.finalize(foldEvents(agg, shuffled(events, mulberry32(7)))), expected, 1e-7);
  });

  it('merges halves that interleave in time to the whole', () => {
    const agg = dampedStats({ lambda: 0.1 });
    const events = numericEvents(3, 200);
    const evens = events.filter((_, i) => i % 2 === 0);
    const odds = events.filter((_, i) => i % 2 === 1);
    const merged = agg.merge(foldEvents(agg, evens), foldEvents(agg, odds));
    expectRecordClose(agg.finalize(merged), naiveDampedStats(events, 0.1), 1e-7);
  });

  it('decayTo lowers the weight by the elapsed time and keeps mean and std', () => {
    const agg = dampedStats({ lambda: 2, timeUnitMs: 60_000 });
    const state = foldEvents(agg, numericEvents(8, 50));
    const later = agg.decayTo(state, state.ts + 30_000);
    expectClose(later.weight, state.weight * 2 ** -1);
    expectClose(agg.finalize(later).mean, agg.finalize(state).mean);
    expectClose(agg.finalize(later).std, agg.finalize(state).std);
    expect(agg.decayTo(state, state.ts - 1)).toBe(state);
  });

  it('keeps one set of statistics per λ', () => {
    const agg = dampedStatsAcross([5, 0.01]);
    const events = numericEvents(4, 120);
    const out = agg.finalize(foldEvents(agg, events));
    expect(Object.keys(out)).toEqual(['lambda_5', 'lambda_0.01']);
    expectRecordClose(out.lambda_5!, naiveDampedStats(events, 5), 1e-7);
    expectRecordClose(out['lambda_0.01']!, naiveDampedStats(events, 0.01), 1e-7);
    expect(out.lambda_5!.weight).toBeLessThan(out['lambda_0.01']!.weight);
  });

  it('rejects a non-positive λ and repeated λs', () => {
    expect(() => dampedStats({ lambda: 0 })).toThrow(ConfigError);
    expect(() => dampedStatsAcross([1, 1])).toThrow(ConfigError);
  });
});
