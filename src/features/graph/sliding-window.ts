import { defineLatenessRule, type LatenessRule } from '../../window/lateness.js';
import { alignToTile, TILE_SIZES } from '../../window/tile-size.js';
import { defineWindow, windowBounds, type WindowSpec } from '../../window/window-spec.js';

/**
 * The sliding window every graph feature (95-99) reads, by the tile rule of window-spec.ts:
 * read at the watermark W (the latest event time the state has seen), it holds the events of
 * the `lengthMs / tileMs` tiles ending with W's tile.
 *
 * Late events. An event before W is still folded in if its tile is in the window at W, and
 * dropped (counted in the state's `lateDropped`) if not: the tile it belongs to has already
 * left every window a later read can make. This is the lateness rule of lateness.ts with
 * `allowedLatenessMs = lengthMs − tileMs`, so groups built on window/tiles.ts and groups that
 * keep their own running sums accept exactly the same events. Values are always read at W,
 * so for a late event they describe the window at W, not at the event's own time.
 */
export interface SlidingWindowOptions {
  /** A whole number of tiles. */
  lengthMs?: number;
  /** One of TILE_SIZES. */
  tileMs?: number;
}

export const SLIDING_WINDOW_DEFAULTS = Object.freeze({ lengthMs: 10 * TILE_SIZES.minute, tileMs: TILE_SIZES.minute });

export interface SlidingWindow {
  readonly spec: WindowSpec;
  readonly lateness: LatenessRule;
}

export function resolveSlidingWindow(options: SlidingWindowOptions = {}): SlidingWindow {
  const spec = defineWindow({ ...SLIDING_WINDOW_DEFAULTS, ...options });
  return Object.freeze({ spec, lateness: defineLatenessRule({ tileMs: spec.tileMs, allowedLatenessMs: spec.lengthMs - spec.tileMs }) });
}

export interface WindowAdvance {
  /** The watermark after the event. */
  readonly watermark: number;
  /** Start of the event's tile. */
  readonly tile: number;
  /** Start of the oldest tile in the window at the new watermark. */
  readonly windowStart: number;
  /** Whether the event's tile is in that window (else it is dropped as late). */
  readonly accepted: boolean;
}

/** Where the window stands after an event at `ts`, given the watermark before it (null: no event yet). */
export function advanceWindow(window: SlidingWindow, watermark: number | null, ts: number): WindowAdvance {
  const next = watermark === null || ts > watermark ? ts : watermark;
  const tile = alignToTile(ts, window.spec.tileMs);
  const windowStart = windowBounds(window.spec, next).startMs;
  return { watermark: next, tile, windowStart, accepted: tile >= windowStart };
}
