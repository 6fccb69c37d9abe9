import { describe, expect, it } from 'vitest';
import { foldEvents, type Aggregator, type TimedValue } from '../../src/aggregate/aggregator.js';
import { count } from '../../src/aggregate/count.js';
import { dampedStats } from '../../src/aggregate/damped-stats.js';
import { distinctCount } from '../../src/aggregate/distinct-count.js';
import { lastSeen } from '../../src/aggregate/last-seen.js';
import { max } from '../../src/aggregate/max.js';
import { min } from '../../src/aggregate/min.js';
import { moments } from '../../src/aggregate/moments.js';
import {
  naiveCount,
  naiveDampedStats,
  naiveDistinctCount,
  naiveLastSeen,
  naiveMax,
  naiveMin,
  naiveMoments,
  naiveSum,
} from '../../src/aggregate/naive-reference.js';
import { product } from '../../src/aggregate/product.js';
import { sum } from '../../src/aggregate/sum.js';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { expectClose, expectRecordClose, keyedEvents, numericEvents } from './generated-events.js';

/** An aggregator, its naive reference, and how their outputs are compared. */
interface Case {
  name: string;
  aggregator: Aggregator<any, any, any>;
  naive: (events: readonly TimedValue<any>[]) => unknown;
  events: (seed: number, n: number) => TimedValue<any>[];
  same: (actual: any, expected: any) => void;
}

const numbers = (a: number, e: number) => expectClose(a, e);
const records = (a: object, e: object) => expectRecordClose(a, e);

const CASES: Case[] = [
  { name: 'count', aggregator: count, naive: naiveCount, events: numericEvents, same: (a, e) => expect(a).toBe(e) },
  { name: 'sum', aggregator: sum, naive: naiveSum, events: numericEvents, same: numbers },
  { name: 'moments', aggregator: moments, naive: naiveMoments, events: numericEvents, same: records },
  { name: 'min', aggregator: min, naive: naiveMin, events: numericEvents, same: (a, e) => expect(a).toBe(e) },
  { name: 'max', aggregator: max, naive: naiveMax, events: numericEvents, same: (a, e) => expect(a).toBe(e) },
  { name: 'lastSeen', aggregator: lastSeen<number>(), naive: naiveLastSeen, events: numericEvents, same: (a, e) => expect(a).toEqual(e) },
  {
    name: 'distinctCount (exact range)',
    aggregator: distinctCount({ exactUpTo: 256 }),
    naive: naiveDistinctCount,
    events: (seed, n) => keyedEvents(seed, n, 200),
    same: (a, e) => expect(a).toBe(e),
  },
  {
    name: 'dampedStats λ=0.5',
    aggregator: dampedStats({ lambda: 0.5 }),
    naive: (events) => naiveDampedStats(events as TimedValue<number>[], 0.5),
    events: numericEvents,
    same: (a, e) => expectRecordClose(a, e, 1e-7),
  },
];

const SIZES = [0, 1, 7, 500];

describe.each(CASES)('$name', ({ aggregator, naive, events, same }) => {
  it.each(SIZES)('fast path equals the naive reference on %i generated events', (n) => {
    const data = events(n + 11, n);
    same(aggregator.finalize(foldEvents(aggregator, data)), naive(data));
  });

  it('merging the states of two halves equals the state of the whole', () => {
    const data = events(42, 400);
    for (const cut of [0, 1, 137, 400]) {
      const left = foldEvents(aggregator, data.slice(0, cut));
      const right = foldEvents(aggregator, data.slice(cut));
      same(aggregator.finalize(aggregator.merge(left, right)), naive(data));
    }
  });

  it('never mutates the state it is given', () => {
    const data = events(5, 50);
    const state = foldEvents(aggregator, data.slice(0, 25));
    const snapshot = structuredClone(state);
    foldEvents(aggregator, data.slice(25), state);
    aggregator.merge(state, state);
    expect(state).toEqual(snapshot);
  });
});

describe.each(CASES.filter((c) => c.aggregator.reversible))('$name (reversible)', ({ aggregator, naive, events, same }) => {
  it('removing the first events leaves the state of the rest', () => {
    const agg = aggregator as Extract<typeof aggregator, { reversible: true }>;
    const data = events(9, 300);
    let state = foldEvents(agg, data);
    for (const e of data.slice(0, 120)) state = agg.remove(state, e.value, e.ts);
    same(agg.finalize(state), naive(data.slice(120)));
  });
});

describe('reversibility flags', () => {
  it('marks count, sum and moments reversible and the rest combine-only', () => {
    const flags = Object.fromEntries(CASES.map((c) => [c.name, c.aggregator.reversible]));
    expect(flags).toEqual({
      count: true,
      sum: true,
      moments: true,
      min: false,
      max: false,
      lastSeen: false,
      'distinctCount (exact range)': false,
      'dampedStats λ=0.5': false,
    });
  });
});

describe('distinctCount sketch', () => {
  const agg = distinctCount({ precision: 12, exactUpTo: 256 });
  const standardError = 1.04 / Math.sqrt(2 ** 12);

  it.each([1_000, 20_000])('estimates %i distinct values within 4 standard errors', (distinct) => {
    const data = keyedEvents(distinct, distinct * 3, distinct);
    const exact = naiveDistinctCount(data);
    const estimate = agg.finalize(foldEvents(agg, data));
    expect(Math.abs(estimate - exact) / exact).toBeLessThan(4 * standardError);
  });

  it('switches to the sketch just past exactUpTo, and merged halves equal the whole state', () => {
    const small = distinctCount({ precision: 8, exactUpTo: 10 });
    const data = keyedEvents(3, 200, 60);
    const whole = foldEvents(small, data);
    expect(whole.kind).toBe('sketch');
    expect(foldEvents(small, keyedEvents(3, 10, 10)).kind).toBe('exact');
    for (const cut of [5, 100, 195]) {
      expect(small.merge(foldEvents(small, data.slice(0, cut)), foldEvents(small, data.slice(cut)))).toEqual(whole);
    }
  });

  it('rejects a precision out of range', () => {
    expect(() => distinctCount({ precision: 20 })).toThrow(ConfigError);
  });
});

describe('product', () => {
  it('folds one value into each part and is reversible only if every part is', () => {
    const both = product({ n: count, total: sum });
    const withMax = product({ n: count, top: max });
    const data = numericEvents(1, 100);
    const out = both.finalize(foldEvents(both, data));
    expect(out.n).toBe(naiveCount(data));
    expectClose(out.total, naiveSum(data));
    expect(both.reversible).toBe(true);
    expect(withMax.reversible).toBe(false);
  });
});
