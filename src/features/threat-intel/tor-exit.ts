import type { FeatureGroup } from '../feature-group.js';
import type { NoState, ThreatIntelInput } from './threat-intel-input.js';

/**
 * Feature 84: 1 if the source IP is a Tor exit relay in the loaded list, else 0. Never
 * missing: an address the list does not name (private ones included) is not a known exit.
 *
 * The list is a TorExitList (intel/tor-exit-list.ts) or anything with `has(ip)`: pick the
 * file closest in time to the events (`TorExitList.closestTo`), and `reload()` it while
 * scoring to follow a fresher list; the value is a function of the event and of the list
 * loaded at scoring time (its `file.version`). Stateless.
 */
export interface TorExitOptions {
  list: { has(ip: string): boolean };
}

export function torExitGroup(options: TorExitOptions): FeatureGroup<NoState, ThreatIntelInput> {
  const { list } = options;
  return {
    name: 'tor_exit',
    slots: [84],
    scope: 'source',
    init: () => null,
    step: (state, input) => ({ state, values: [list.has(input.flow.srcIp) ? 1 : 0] }),
  };
}
