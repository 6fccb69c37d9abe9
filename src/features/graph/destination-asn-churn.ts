import { count } from '../../aggregate/count.js';
import { product } from '../../aggregate/product.js';
import { sum } from '../../aggregate/sum.js';
import type { FlowEvent } from '../../events/flow-event.js';
import { evictTiles, foldIntoTile, readWindow } from '../../window/tiles.js';
import type { FeatureGroup } from '../feature-group.js';
import { bucketKey, expireBuckets, NO_BUCKETS, type ExpiryBuckets } from './expiry-buckets.js';
import { emptyPMap, pmapDelete, pmapGet, pmapSet, type PMap } from './persistent-map.js';
import { advanceWindow, resolveSlidingWindow, type SlidingWindowOptions } from './sliding-window.js';

/**
 * Feature 98: how often the source AS changes between consecutive flows to the event's
 * destination, as the share of changes in the window:
 *
 *   rate = changes / transitions,
 *
 * a transition being a flow to the destination that follows an earlier one (in arrival
 * order) still in the window, and a change a transition whose source AS differs from the one
 * before. A server hit by a botnet or a distributed scan sees its sources hop between many
 * ASes (rate near 1); one used by a few networks sees long runs (rate near 0).
 *
 * Sources without an AS (private, special and unknown addresses, IPv6: AsnTable.asnOf) count
 * as one AS, "none" (0): a flip between an internal and an external source is a change.
 * Missing rule: 0 when the destination has no transition in the window (its first flow, or
 * the first after an idle spell): no change has been seen.
 *
 * Per destination, transitions and changes are counted per tile with the `count` and `sum`
 * aggregators (window/tiles.ts). A destination whose newest flow left the window is dropped
 * whole (expiry-buckets.ts), which bounds the state by the destinations of the window.
 * Scope: global (keyed by destination, which 'source' scope cannot express). JSON data.
 */
export interface DestinationAsnChurnOptions {
  window?: SlidingWindowOptions;
  /** The source AS of an address, undefined when it has none (AsnTable.asnOf). */
  asnOf: (ip: string) => number | undefined;
}

const transitions = product({ transitions: count, changes: sum });
type ChurnTile = ReturnType<typeof transitions.init>;

export interface DestinationChurn {
  /** AS of the latest flow to the destination, 0 for none. */
  readonly lastAsn: number;
  /** Start of the tile of the newest flow to the destination. */
  readonly newestTile: number;
  readonly tiles: readonly (readonly [number, ChurnTile])[];
}

export interface DestinationAsnChurnState {
  readonly watermark: number | null;
  readonly destinations: PMap<DestinationChurn>;
  /** Destinations by the tile of their newest flow. */
  readonly buckets: ExpiryBuckets;
  readonly lateDropped: number;
}

const INITIAL: DestinationAsnChurnState = Object.freeze({
  watermark: null,
  destinations: emptyPMap<DestinationChurn>(),
  buckets: NO_BUCKETS,
  lateDropped: 0,
});

export function destinationAsnChurnGroup(options: DestinationAsnChurnOptions): FeatureGroup<DestinationAsnChurnState, FlowEvent> {
  const window = resolveSlidingWindow(options.window);
  const { asnOf } = options;

  function expire(state: DestinationAsnChurnState, start: number): DestinationAsnChurnState {
    const { expired, rest } = expireBuckets(state.buckets, start);
    if (rest === state.buckets) return state;
    let destinations = state.destinations;
    for (const dst of expired) destinations = pmapDelete(destinations, dst);
    return { ...state, destinations, buckets: rest };
  }

  return {
    name: 'destination_asn_churn',
    slots: [98],
    scope: 'global',
    init: () => INITIAL,
    step(state, event) {
      const at = advanceWindow(window, state.watermark, event.ts);
      const live = expire(state, at.windowStart);
      const previous = pmapGet(live.destinations, event.dstIp);
      if (!at.accepted) {
        const rate = previous === undefined ? 0 : rateOf(new Map(previous.tiles), at.watermark);
        return { state: { ...live, watermark: at.watermark, lateDropped: live.lateDropped + 1 }, values: [rate] };
      }
      const asn = asnOf(event.srcIp) ?? 0;
      let tiles: ReadonlyMap<number, ChurnTile> = new Map(previous?.tiles ?? []);
      if (previous !== undefined) {
        const change = previous.lastAsn === asn ? 0 : 1;
        tiles = foldIntoTile(tiles, transitions, { value: change, ts: event.ts }, live.watermark ?? event.ts, window.lateness).tiles;
      }
      const kept = evictTiles(tiles, window.spec.lengthMs, at.watermark, window.lateness);
      const newestTile = Math.max(previous?.newestTile ?? at.tile, at.tile);
      const churn: DestinationChurn = { lastAsn: asn, newestTile, tiles: [...kept].sort(([a], [b]) => a - b) };
      const next: DestinationAsnChurnState = {
        watermark: at.watermark,
        destinations: pmapSet(live.destinations, event.dstIp, churn),
        buckets: newestTile === previous?.newestTile ? live.buckets : bucketKey(live.buckets, event.dstIp, newestTile, previous?.newestTile),
        lateDropped: live.lateDropped,
      };
      return { state: next, values: [rateOf(kept, at.watermark)] };
    },
  };

  function rateOf(tiles: ReadonlyMap<number, ChurnTile>, watermark: number): number {
    const w = transitions.finalize(readWindow(tiles, transitions, window.spec, watermark));
    return w.transitions === 0 ? 0 : w.changes / w.transitions;
  }
}
