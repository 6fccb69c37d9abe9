import type { CombineOnlyAggregator } from './aggregator.js';

/** The latest event by event time, or undefined before the first one. */
export type LastSeenState<V> = { readonly ts: number; readonly value: V } | undefined;

/**
 * The value and time of the latest event by event time (not by arrival), so a late event
 * never overwrites a newer one. On equal times the later update, or the later (`b`) side of a
 * merge, wins: folding events in order and merging ordered halves then agree.
 */
export function lastSeen<V>(): CombineOnlyAggregator<LastSeenState<V>, V, LastSeenState<V>> {
  return {
    name: 'last_seen',
    reversible: false,
    init: () => undefined,
    update: (state, value, ts) => (state === undefined || ts >= state.ts ? { ts, value } : state),
    merge: (a, b) => (a === undefined || (b !== undefined && b.ts >= a.ts) ? b : a),
    finalize: (state) => state,
  };
}
