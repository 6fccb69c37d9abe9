import type { FlowEvent } from '../../events/flow-event.js';
import type { FeatureGroup } from '../feature-group.js';
import { emptyPMap, pmapForEach, pmapGet, pmapUpdate, type PMap } from './persistent-map.js';
import { advanceWindow, resolveSlidingWindow, type SlidingWindowOptions } from './sliding-window.js';

/**
 * Feature 99: Shannon entropy, in bits, of the destination ports the source used in the
 * window: 0 when it always hits one port (a brute-force on ssh), high when it spreads over
 * many (a port scan reaches log2 of the ports probed).
 *
 * With N flows in the window and c_p of them to port p, H = −Σ (c_p/N)·log2(c_p/N), which
 * rearranges to
 *
 *   H = log2 N − S / N,   S = Σ c_p·log2 c_p,
 *
 * so the state keeps N and S as running sums: one flow to port p adds f(c_p + 1) − f(c_p) to S
 * (f(c) = c·log2 c), and a tile leaving the window subtracts its own counts port by port. Each
 * event is added once and removed once: O(1) amortised, whatever the number of ports (a
 * merge of per-tile histograms would cost O(ports) per read). Rounding in the running S is
 * reset whenever the window empties, and H is clamped at 0.
 *
 * Never missing: the event's own flow is in the window, so N ≥ 1 (a single flow gives 0).
 * Scope: source. State: plain JSON data (port maps are persistent-map.ts tries).
 */
export interface PortEntropyOptions {
  window?: SlidingWindowOptions;
}

export interface PortEntropyState {
  readonly watermark: number | null;
  /** Per tile, oldest first: port → flows in that tile. */
  readonly tiles: readonly (readonly [number, PMap<number>])[];
  /** Port → flows in the window (the sum of the tiles). */
  readonly counts: PMap<number>;
  /** N. */
  readonly total: number;
  /** S = Σ c·log2 c over `counts`. */
  readonly sumCLogC: number;
  readonly lateDropped: number;
}

const INITIAL: PortEntropyState = Object.freeze({
  watermark: null,
  tiles: Object.freeze([]) as PortEntropyState['tiles'],
  counts: emptyPMap<number>(),
  total: 0,
  sumCLogC: 0,
  lateDropped: 0,
});

const cLogC = (c: number) => (c <= 1 ? 0 : c * Math.log2(c));

/** Entropy in bits of a histogram with N = `total` and S = `sumCLogC`. */
export function entropyBits(total: number, sumCLogC: number): number {
  return total <= 0 ? 0 : Math.max(0, Math.log2(total) - sumCLogC / total);
}

function addCount(counts: PMap<number>, key: string, by: number): PMap<number> {
  return pmapUpdate(counts, key, (c) => ((c ?? 0) + by === 0 ? undefined : (c ?? 0) + by));
}

/** The window without the tiles before `start`: their counts come off N, S and the window histogram. */
function expire(state: PortEntropyState, start: number): PortEntropyState {
  let n = 0;
  while (n < state.tiles.length && state.tiles[n]![0] < start) n++;
  if (n === 0) return state;
  let { counts, total, sumCLogC } = state;
  for (const [, tile] of state.tiles.slice(0, n)) {
    pmapForEach(tile, (port, c) => {
      const before = pmapGet(counts, port) ?? 0;
      sumCLogC += cLogC(before - c) - cLogC(before);
      total -= c;
      counts = addCount(counts, port, -c);
    });
  }
  if (total === 0) sumCLogC = 0;
  return { ...state, tiles: state.tiles.slice(n), counts, total, sumCLogC };
}

function add(state: PortEntropyState, port: string, tile: number): PortEntropyState {
  const before = pmapGet(state.counts, port) ?? 0;
  const tiles = state.tiles.slice();
  let i = tiles.length;
  while (i > 0 && tiles[i - 1]![0] > tile) i--;
  if (i > 0 && tiles[i - 1]![0] === tile) tiles[i - 1] = [tile, addCount(tiles[i - 1]![1], port, 1)];
  else tiles.splice(i, 0, [tile, addCount(emptyPMap<number>(), port, 1)]);
  return {
    ...state,
    tiles,
    counts: addCount(state.counts, port, 1),
    total: state.total + 1,
    sumCLogC: state.sumCLogC + cLogC(before + 1) - cLogC(before),
  };
}

export function portEntropyGroup(options: PortEntropyOptions = {}): FeatureGroup<PortEntropyState, FlowEvent> {
  const window = resolveSlidingWindow(options.window);
  return {
    name: 'port_entropy',
    slots: [99],
    scope: 'source',
    init: () => INITIAL,
    step(state, event) {
      const at = advanceWindow(window, state.watermark, event.ts);
      let next = expire(state, at.windowStart);
      next = at.accepted ? add(next, String(event.dstPort), at.tile) : { ...next, lateDropped: next.lateDropped + 1 };
      next = { ...next, watermark: at.watermark };
      return { state: next, values: [entropyBits(next.total, next.sumCLogC)] };
    },
  };
}
