import { ConfigError } from '../errors/vigil-error.js';
import { alignToTile, assertTileSize, tileSizeFor } from './tile-size.js';

/**
 * A sliding window assembled from tiles at read time.
 *
 * The window read at time `at` is the `lengthMs / tileMs` tiles ending with the tile that
 * holds `at`: event times in [start, end) with end = alignToTile(at) + tileMs and
 * start = end − lengthMs. The newest tile counts whole, so the window slides a tile at a
 * time and spans between lengthMs − tileMs and lengthMs of history before `at` (Chronon's
 * tiles behave the same; a 1 h window on 1 min tiles is exact to the minute).
 */
export interface WindowSpec {
  readonly lengthMs: number;
  readonly tileMs: number;
}

export interface WindowOptions {
  lengthMs: number;
  /** One of TILE_SIZES; by default the size `tileSizeFor(lengthMs)` picks. */
  tileMs?: number;
}

export function defineWindow(options: WindowOptions): WindowSpec {
  const { lengthMs } = options;
  const tileMs = options.tileMs ?? tileSizeFor(lengthMs);
  assertTileSize(tileMs, 'defineWindow');
  if (!Number.isSafeInteger(lengthMs) || lengthMs <= 0 || lengthMs % tileMs !== 0) {
    throw new ConfigError(`defineWindow: lengthMs ${lengthMs} must be a positive whole number of ${tileMs} ms tiles`);
  }
  return Object.freeze({ lengthMs, tileMs });
}

export interface WindowBounds {
  /** Inclusive. */
  readonly startMs: number;
  /** Exclusive. */
  readonly endMs: number;
}

export function windowBounds(window: WindowSpec, at: number): WindowBounds {
  const endMs = alignToTile(at, window.tileMs) + window.tileMs;
  return { startMs: endMs - window.lengthMs, endMs };
}

/** Start times of the tiles the window at `at` merges, oldest first. */
export function tileStartsOf(window: WindowSpec, at: number): number[] {
  const { startMs, endMs } = windowBounds(window, at);
  const starts: number[] = [];
  for (let t = startMs; t < endMs; t += window.tileMs) starts.push(t);
  return starts;
}
