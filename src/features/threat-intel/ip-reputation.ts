import { isPublicAddress } from '../../intel/ipv4.js';
import type { KeyLookup } from '../../intel/key-lookup.js';
import type { FeatureGroup } from '../feature-group.js';
import { UNKNOWN, type NoState, type ThreatIntelInput } from './threat-intel-input.js';

/**
 * Feature 81: the reputation of the source IP in [0, 1] (1 the worst) from a pluggable
 * provider: a local feed (ipReputationFeed), a remote service behind a cache (RemoteLookup
 * with abuseIpdbFetch), or a recorded snapshot (staticLookup).
 *
 * Missing rule, UNKNOWN (−1): the provider has no answer yet (a remote cache miss, which is
 * filled in the background for later events), knows nothing about the address, or the source
 * is not a public address (private, special-purpose, IPv6 link- or unique-local) — those are
 * never looked up, so no API quota goes to addresses no service can know.
 *
 * Purity: `step` reads the provider synchronously; the value is a function of the event and
 * of what the provider held at scoring time (see RemoteLookup for how filling happens
 * between events). Stateless.
 */
export interface IpReputationOptions {
  provider: KeyLookup;
}

export function ipReputationGroup(options: IpReputationOptions): FeatureGroup<NoState, ThreatIntelInput> {
  const { provider } = options;
  return {
    name: 'ip_reputation',
    slots: [81],
    scope: 'source',
    init: () => null,
    step(state, input) {
      const ip = input.flow.srcIp;
      const score = isPublicAddress(ip) ? provider.lookup(ip) : undefined;
      return { state, values: [score !== undefined && score >= 0 && score <= 1 ? score : UNKNOWN] };
    },
  };
}
