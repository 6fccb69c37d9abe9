import { distinctCount, type DistinctCountOptions, type DistinctCountState } from '../../aggregate/distinct-count.js';
import { InputError } from '../../errors/vigil-error.js';
import type { FlowEvent } from '../../events/flow-event.js';
import { evictTiles, foldIntoTile, readWindow } from '../../window/tiles.js';
import type { FeatureGroup } from '../feature-group.js';
import { advanceWindow, resolveSlidingWindow, type SlidingWindowOptions } from './sliding-window.js';

/**
 * Feature 95: the number of distinct destination IPs the source contacted in the window —
 * the fan-out of a sweep or a worm. Counted with the distinct-count aggregator on the
 * window's tiles (window/tiles.ts): each 1-minute tile keeps a partial count, and a read
 * merges the tiles of the window. Exact up to 256 hosts a tile, a HyperLogLog estimate
 * (1.6% standard error) beyond, hence not always a whole number. Never missing: the event's
 * own destination counts, so the value is at least 1 (0 only for an event dropped as late
 * into an empty window).
 *
 * Scope: source. State: the watermark and the tiles as `[tileStart, partial]` pairs, oldest
 * first. A tile that has turned into a sketch holds a Uint8Array, which JSON does not keep:
 * store states through `encodeDistinctHostsState` / `decodeDistinctHostsState`.
 */
export interface DistinctHostsOptions {
  window?: SlidingWindowOptions;
  distinct?: DistinctCountOptions;
}

export interface DistinctHostsState {
  readonly watermark: number | null;
  readonly tiles: readonly (readonly [number, DistinctCountState])[];
  readonly lateDropped: number;
}

const INITIAL: DistinctHostsState = Object.freeze({ watermark: null, tiles: Object.freeze([]) as DistinctHostsState['tiles'], lateDropped: 0 });

export function distinctHostsGroup(options: DistinctHostsOptions = {}): FeatureGroup<DistinctHostsState, FlowEvent> {
  const window = resolveSlidingWindow(options.window);
  const aggregator = distinctCount(options.distinct);
  return {
    name: 'distinct_hosts',
    slots: [95],
    scope: 'source',
    init: () => INITIAL,
    step(state, event) {
      const at = advanceWindow(window, state.watermark, event.ts);
      const fold = foldIntoTile(new Map(state.tiles), aggregator, { value: event.dstIp, ts: event.ts }, state.watermark ?? event.ts, window.lateness);
      const tiles = evictTiles(fold.tiles, window.spec.lengthMs, at.watermark, window.lateness);
      const value = aggregator.finalize(readWindow(tiles, aggregator, window.spec, at.watermark));
      return {
        state: {
          watermark: at.watermark,
          tiles: [...tiles].sort(([a], [b]) => a - b),
          lateDropped: state.lateDropped + (fold.arrival === 'dropped-late' ? 1 : 0),
        },
        values: [value],
      };
    },
  };
}

/** The state as JSON data: sketch registers become base64 text. */
export type EncodedDistinctHostsState = Omit<DistinctHostsState, 'tiles'> & {
  readonly tiles: readonly (readonly [number, { kind: 'exact'; hashes: readonly number[] } | { kind: 'sketch'; registers: string }])[];
};

export function encodeDistinctHostsState(state: DistinctHostsState): EncodedDistinctHostsState {
  return {
    ...state,
    tiles: state.tiles.map(([start, s]) => [start, s.kind === 'exact' ? s : { kind: 'sketch', registers: Buffer.from(s.registers).toString('base64') }]),
  };
}

export function decodeDistinctHostsState(encoded: EncodedDistinctHostsState): DistinctHostsState {
  return {
    ...encoded,
    tiles: encoded.tiles.map(([start, s]) => {
      if (s.kind === 'exact') return [start, s];
      if (s.kind === 'sketch' && typeof s.registers === 'string') return [start, { kind: 'sketch', registers: new Uint8Array(Buffer.from(s.registers, 'base64')) }];
      throw new InputError(`decodeDistinctHostsState: tile ${start} is neither an exact set nor a base64 sketch`);
    }),
  };
}
