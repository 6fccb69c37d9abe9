import { expect } from 'vitest';
import type { FlowEvent } from '../../src/events/flow-event.js';
import type { FeatureGroup } from '../../src/features/feature-group.js';

export const MIN = 60_000;
/** 2017-07-07 10:00 UTC: a minute (and hour) boundary, so tiles start at T0 + k·MIN. */
export const T0 = Date.UTC(2017, 6, 7, 10, 0, 0);

export function flow(srcIp: string, dstIp: string, ts: number, dstPort = 443): FlowEvent {
  return { eventId: `${srcIp}>${dstIp}@${ts}`, srcIp, srcPort: 40_000, dstIp, dstPort, protocol: 6, ts, features: {}, label: null };
}

/**
 * Runs a group over events the way a topology would (the state of the event's key: the
 * source for 'source' scope, one state for 'global'), checking that step never mutates the
 * state it is given, and returns the values of each event.
 */
export function run<S>(group: FeatureGroup<S, FlowEvent>, events: readonly FlowEvent[]): { values: number[][]; states: Map<string, S> } {
  const states = new Map<string, S>();
  const values = events.map((event) => {
    const key = group.scope === 'source' ? event.srcIp : '*';
    const before = states.get(key) ?? group.init();
    const frozen = JSON.stringify(before, (_, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v));
    const out = group.step(before, event);
    expect(JSON.stringify(before, (_, v: unknown) => (v instanceof Uint8Array ? Array.from(v) : v))).toBe(frozen);
    expect(out.values).toHaveLength(group.slots.length);
    for (const v of out.values) expect(Number.isFinite(v)).toBe(true);
    states.set(key, out.state);
    return out.values;
  });
  return { values, states };
}
