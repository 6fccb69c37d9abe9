import type { Aggregator, TimedValue } from '../aggregate/aggregator.js';
import { classifyArrival, isTileOpen, type Arrival, type LatenessRule } from './lateness.js';
import { alignToTile } from './tile-size.js';
import { tileStartsOf, type WindowSpec } from './window-spec.js';

/** One key's partial aggregates, by tile start time. Never mutated: each change makes a new map. */
export type TileMap<S> = ReadonlyMap<number, S>;

export interface TileFold<S> {
  readonly tiles: TileMap<S>;
  /** What the late-event rule (lateness.ts) made of the event; `dropped-late` left `tiles` as they were. */
  readonly arrival: Arrival;
}

/** Folds one event into the partial aggregate of its tile, unless the rule drops it as late. */
export function foldIntoTile<S, I, O>(
  tiles: TileMap<S>,
  aggregator: Aggregator<S, I, O>,
  event: TimedValue<I>,
  watermark: number,
  rule: LatenessRule,
): TileFold<S> {
  const arrival = classifyArrival(event.ts, watermark, rule);
  if (arrival === 'dropped-late') return { tiles, arrival };
  const start = alignToTile(event.ts, rule.tileMs);
  const next = new Map(tiles);
  next.set(start, aggregator.update(tiles.get(start) ?? aggregator.init(), event.value, event.ts));
  return { tiles: next, arrival };
}

/**
 * The state of the window read at `at`: the partial aggregates of its tiles merged oldest
 * first (so `merge`'s later side is the later tile). Tiles missing from the map had no events.
 * The window's tile size must be the one the tiles were folded with.
 */
export function readWindow<S, I, O>(tiles: TileMap<S>, aggregator: Aggregator<S, I, O>, window: WindowSpec, at: number): S {
  let state = aggregator.init();
  for (const start of tileStartsOf(window, at)) {
    const tile = tiles.get(start);
    if (tile !== undefined) state = aggregator.merge(state, tile);
  }
  return state;
}

/**
 * Drops the tiles no read can need any more: closed by the rule, and older than the longest
 * window read at the watermark. Returns the same map when nothing goes.
 */
export function evictTiles<S>(tiles: TileMap<S>, longestWindowMs: number, watermark: number, rule: LatenessRule): TileMap<S> {
  const oldestNeeded = alignToTile(watermark, rule.tileMs) + rule.tileMs - longestWindowMs;
  const keep = (start: number) => start >= oldestNeeded || isTileOpen(start, watermark, rule);
  let all = true;
  for (const start of tiles.keys()) if (!keep(start)) all = false;
  if (all) return tiles;
  return new Map([...tiles].filter(([start]) => keep(start)));
}
