import { ConfigError } from '../errors/vigil-error.js';
import { alignToTile, assertTileSize } from './tile-size.js';

/**
 * The late-event rule.
 *
 * The caller supplies the watermark: the event time up to which it takes the stream to be
 * complete (simplest, the highest event time seen so far; a Kafka consumer would take the
 * lowest over its partitions). A tile [s, s + tileMs) stays open until the watermark reaches
 * s + tileMs + allowedLatenessMs. An event is
 *
 * - `on-time` if its time is at or after the watermark;
 * - `late-accepted` if it is before the watermark but its tile is still open: it is folded
 *   into its own tile, so reads after it see it in the windows it belongs to;
 * - `dropped-late` if its tile has closed: it is not folded anywhere, and the caller counts it
 *   (a metric), since a closed tile may already be evicted or copied elsewhere.
 */
export type Arrival = 'on-time' | 'late-accepted' | 'dropped-late';

export interface LatenessRule {
  readonly tileMs: number;
  readonly allowedLatenessMs: number;
}

export function defineLatenessRule(rule: { tileMs: number; allowedLatenessMs: number }): LatenessRule {
  assertTileSize(rule.tileMs, 'defineLatenessRule');
  if (!Number.isSafeInteger(rule.allowedLatenessMs) || rule.allowedLatenessMs < 0) {
    throw new ConfigError(`defineLatenessRule: allowedLatenessMs must be a non-negative integer, got ${rule.allowedLatenessMs}`);
  }
  return Object.freeze({ tileMs: rule.tileMs, allowedLatenessMs: rule.allowedLatenessMs });
}

/** Whether the tile starting at `tileStart` still accepts events at this watermark. */
export function isTileOpen(tileStart: number, watermark: number, rule: LatenessRule): boolean {
  return watermark < tileStart + rule.tileMs + rule.allowedLatenessMs;
}

export function classifyArrival(ts: number, watermark: number, rule: LatenessRule): Arrival {
  if (ts >= watermark) return 'on-time';
  return isTileOpen(alignToTile(ts, rule.tileMs), watermark, rule) ? 'late-accepted' : 'dropped-late';
}
