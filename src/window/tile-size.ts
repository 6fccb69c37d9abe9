import { ConfigError } from '../errors/vigil-error.js';

/**
 * The few tile sizes windows are built from (Chronon's Resolution). A window is the merge of
 * the partial aggregates of the tiles it covers, so the tile size trades read cost (tiles
 * merged per read) against how finely the window's old edge moves.
 */
export const TILE_SIZES = Object.freeze({
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
});

export type TileSizeName = keyof typeof TILE_SIZES;

const KNOWN_SIZES: ReadonlySet<number> = new Set(Object.values(TILE_SIZES));

/**
 * The tile size for a window: minutes up to 1 h, hours up to 2 days, days beyond, so no read
 * merges more than 60 tiles for windows up to an hour and 48 up to two days.
 */
export function tileSizeFor(windowMs: number): number {
  if (windowMs <= TILE_SIZES.hour) return TILE_SIZES.minute;
  if (windowMs <= 2 * TILE_SIZES.day) return TILE_SIZES.hour;
  return TILE_SIZES.day;
}

export function isTileSize(ms: number): boolean {
  return KNOWN_SIZES.has(ms);
}

/** The start of the tile holding event time `ts`: tiles are aligned to the Unix epoch, UTC. */
export function alignToTile(ts: number, tileMs: number): number {
  return Math.floor(ts / tileMs) * tileMs;
}

export function assertTileSize(tileMs: number, where: string): void {
  if (!isTileSize(tileMs)) {
    throw new ConfigError(`${where}: tileMs ${tileMs} is not a tile size; use one of ${[...KNOWN_SIZES].join(', ')} (TILE_SIZES)`);
  }
}
