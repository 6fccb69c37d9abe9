import { normaliseDomain } from '../../intel/domain-registration-table.js';
import type { KeyLookup } from '../../intel/key-lookup.js';
import type { FeatureGroup } from '../feature-group.js';
import { UNKNOWN, type NoState, type ThreatIntelInput } from './threat-intel-input.js';

const DAY_MS = 86_400_000;

/**
 * Feature 82: the age in days of the domain the flow is about, at the event's time: young
 * domains are a phishing and C2 sign. A flow carries no domain, so it comes from the
 * enrichment (`input.domain`); the provider answers the domain's registration time (epoch
 * ms) — a feed (domainRegistrationFeed) or RDAP behind a cache (RemoteLookup with
 * rdapRegistrationFetch) — and the age is taken at `flow.ts`, so a cached answer never
 * ages wrongly. A registration after the event (a re-registered name) gives 0.
 *
 * Missing rule, UNKNOWN (−1): no domain, a malformed one, or no registration known (yet).
 * Same purity note as ip-reputation.ts. Stateless.
 */
export interface DomainAgeOptions {
  /** Domain → registration time, epoch ms. */
  provider: KeyLookup;
}

export function domainAgeGroup(options: DomainAgeOptions): FeatureGroup<NoState, ThreatIntelInput> {
  const { provider } = options;
  return {
    name: 'domain_age',
    slots: [82],
    scope: 'source',
    init: () => null,
    step(state, input) {
      const domain = input.domain ? normaliseDomain(input.domain) : undefined;
      const registered = domain === undefined ? undefined : provider.lookup(domain);
      const age = registered === undefined || !Number.isFinite(registered) ? UNKNOWN : Math.max(0, (input.flow.ts - registered) / DAY_MS);
      return { state, values: [age] };
    },
  };
}
