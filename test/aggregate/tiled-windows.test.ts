import { describe, expect, it } from 'vitest';
import type { Aggregator, TimedValue } from '../../src/aggregate/aggregator.js';
import { distinctCount } from '../../src/aggregate/distinct-count.js';
import { max } from '../../src/aggregate/max.js';
import { moments } from '../../src/aggregate/moments.js';
import { naiveDistinctCount, naiveMax, naiveMoments, naiveWindowEvents } from '../../src/aggregate/naive-reference.js';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { classifyArrival, defineLatenessRule, type Arrival } from '../../src/window/lateness.js';
import { alignToTile, TILE_SIZES, tileSizeFor } from '../../src/window/tile-size.js';
import { evictTiles, foldIntoTile, readWindow, type TileMap } from '../../src/window/tiles.js';
import { defineWindow, tileStartsOf, windowBounds } from '../../src/window/window-spec.js';
import { expectRecordClose, numericEvents } from './generated-events.js';

const MIN = TILE_SIZES.minute;
const T0 = 1_700_000_000_000 - (1_700_000_000_000 % TILE_SIZES.hour); // an hour boundary

describe('tile alignment and window bounds', () => {
  it('aligns event times down to their tile, before the epoch too', () => {
    expect(alignToTile(T0, MIN)).toBe(T0);
    expect(alignToTile(T0 + MIN - 1, MIN)).toBe(T0);
    expect(alignToTile(T0 + MIN, MIN)).toBe(T0 + MIN);
    expect(alignToTile(-1, MIN)).toBe(-MIN);
  });

  it('picks minute tiles up to an hour, hour tiles up to two days, day tiles beyond', () => {
    expect([tileSizeFor(10 * MIN), tileSizeFor(TILE_SIZES.hour), tileSizeFor(6 * TILE_SIZES.hour), tileSizeFor(7 * TILE_SIZES.day)]).toEqual([
      MIN,
      MIN,
      TILE_SIZES.hour,
      TILE_SIZES.day,
    ]);
  });

  it('covers the whole tiles ending with the one holding the read time', () => {
    const w = defineWindow({ lengthMs: 5 * MIN });
    expect(windowBounds(w, T0 + 10 * MIN + 30_000)).toEqual({ startMs: T0 + 6 * MIN, endMs: T0 + 11 * MIN });
    expect(tileStartsOf(w, T0 + 10 * MIN)).toEqual([6, 7, 8, 9, 10].map((m) => T0 + m * MIN));
  });

  it('rejects a window that is not a whole number of tiles, or an unknown tile size', () => {
    expect(() => defineWindow({ lengthMs: 90_000, tileMs: MIN })).toThrow(ConfigError);
    expect(() => defineWindow({ lengthMs: 10 * MIN, tileMs: 5 * MIN })).toThrow(ConfigError);
    expect(() => defineLatenessRule({ tileMs: MIN, allowedLatenessMs: -1 })).toThrow(ConfigError);
  });
});

describe('late events', () => {
  // Virtual time, one column per 30 s, tiles of 1 min, allowed lateness 30 s:
  //
  //   tile      |  A (T0)  |  B (T0+1m) |  C (T0+2m) |
  //   watermark                          ^ T0+2m+15s
  //   A closes at T0+1m+30s, B at T0+2m+30s: with the watermark between, A is closed, B open.
  const rule = defineLatenessRule({ tileMs: MIN, allowedLatenessMs: 30_000 });
  const watermark = T0 + 2 * MIN + 15_000;
  const table: [string, number, Arrival][] = [
    ['at the watermark', watermark, 'on-time'],
    ['after the watermark', watermark + 1, 'on-time'],
    ['before it, in the current tile C', T0 + 2 * MIN, 'late-accepted'],
    ['in tile B, still within lateness', T0 + MIN, 'late-accepted'],
    ['in tile A, past its lateness', T0 + MIN - 1, 'dropped-late'],
  ];
  it.each(table)('an event %s is %s', (_, ts, arrival) => {
    expect(classifyArrival(ts, watermark, rule)).toBe(arrival);
  });

  it('leaves the tiles untouched when an event is dropped', () => {
    const tiles: TileMap<number> = new Map([[T0, 5]]);
    const fold = foldIntoTile(tiles, max, { value: 99, ts: T0 + 1 }, watermark, rule);
    expect(fold.arrival).toBe('dropped-late');
    expect(fold.tiles).toBe(tiles);
  });
});

/** Replays a stream whose watermark is the highest event time seen, as a live consumer would. */
function replay<S, I, O>(aggregator: Aggregator<S, I, O>, events: readonly TimedValue<I>[], allowedLatenessMs: number) {
  const rule = defineLatenessRule({ tileMs: MIN, allowedLatenessMs });
  let tiles: TileMap<S> = new Map();
  let watermark = Number.NEGATIVE_INFINITY;
  const accepted: TimedValue<I>[] = [];
  let dropped = 0;
  for (const e of events) {
    const fold = foldIntoTile(tiles, aggregator, e, watermark, rule);
    tiles = fold.tiles;
    if (fold.arrival === 'dropped-late') dropped++;
    else accepted.push(e);
    watermark = Math.max(watermark, e.ts);
  }
  return { tiles, accepted, dropped, watermark, rule };
}

describe('sliding windows assembled from tiles', () => {
  // ~500 events over ~8 minutes, 10% arriving up to 90 s late: some fall past a 20 s lateness.
  const events = numericEvents(17, 500, T0, 90_000);
  const window = defineWindow({ lengthMs: 3 * MIN, tileMs: MIN });
  const readTimes = [0, 1, 2.5, 4, 6.2, 9].map((m) => T0 + m * MIN);

  it('counts as dropped exactly the events whose tile had closed', () => {
    const { accepted, dropped } = replay(max, events, 20_000);
    let seen = Number.NEGATIVE_INFINITY;
    let expectedDropped = 0;
    for (const e of events) {
      if (e.ts < seen && alignToTile(e.ts, MIN) + MIN + 20_000 <= seen) expectedDropped++;
      seen = Math.max(seen, e.ts);
    }
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBe(expectedDropped);
    expect(accepted.length + dropped).toBe(events.length);
  });

  it.each(readTimes)('reads moments, max and distinct count equal to the naive reference at %d', (at) => {
    const forMoments = replay(moments, events, 20_000);
    const inWindow = naiveWindowEvents(forMoments.accepted, window.lengthMs, window.tileMs, at);
    expectRecordClose(moments.finalize(readWindow(forMoments.tiles, moments, window, at)), naiveMoments(inWindow));

    const forMax = replay(max, events, 20_000);
    expect(max.finalize(readWindow(forMax.tiles, max, window, at))).toBe(naiveMax(inWindow));

    const distinct = distinctCount();
    const ports = events.map((e) => ({ value: Math.floor(Math.abs(e.value)) % 97, ts: e.ts }));
    const forDistinct = replay(distinct, ports, 20_000);
    const portsInWindow = naiveWindowEvents(forDistinct.accepted, window.lengthMs, window.tileMs, at);
    expect(distinct.finalize(readWindow(forDistinct.tiles, distinct, window, at))).toBe(naiveDistinctCount(portsInWindow));
  });

  it('accepts every late event when the lateness covers the disorder', () => {
    const { accepted, dropped } = replay(moments, events, 90_000);
    expect(dropped).toBe(0);
    expect(accepted).toHaveLength(events.length);
  });

  it('evicts only tiles that no read at the watermark needs', () => {
    const { tiles, watermark, rule } = replay(moments, events, 20_000);
    const kept = evictTiles(tiles, window.lengthMs, watermark, rule);
    expect(kept.size).toBeLessThan(tiles.size);
    expect(Math.min(...kept.keys())).toBe(windowBounds(window, watermark).startMs);
    expect(readWindow(kept, moments, window, watermark)).toEqual(readWindow(tiles, moments, window, watermark));
    expect(evictTiles(kept, window.lengthMs, watermark, rule)).toBe(kept);
  });
});
