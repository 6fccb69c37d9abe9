import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlowEvent } from '../../src/events/flow-event.js';
import type { FeatureGroup, FeatureSpec } from '../../src/features/feature-group.js';
import { asnReputationGroup } from '../../src/features/threat-intel/asn-reputation.js';
import { domainAgeGroup } from '../../src/features/threat-intel/domain-age.js';
import { externalThreatScoreGroup } from '../../src/features/threat-intel/external-threat-score.js';
import { ipReputationGroup } from '../../src/features/threat-intel/ip-reputation.js';
import { UNKNOWN, type ThreatIntelInput } from '../../src/features/threat-intel/threat-intel-input.js';
import { torExitGroup } from '../../src/features/threat-intel/tor-exit.js';
import { DomainRegistrationTable } from '../../src/intel/domain-registration-table.js';
import { IpReputationTable } from '../../src/intel/ip-reputation-table.js';
import { staticLookup, type KeyLookup } from '../../src/intel/key-lookup.js';
import { TorExitSet } from '../../src/intel/tor-exit-list.js';
import { SCHEMAS_DIR } from '../../src/paths.js';

const T0 = Date.UTC(2017, 6, 7, 10, 0, 0); // 2017-07-07 10:00 UTC, a CICIDS2017 day
const DAY = 86_400_000;

function flow(srcIp: string, ts = T0, dstIp = '192.168.10.50'): FlowEvent {
  return { eventId: `${srcIp}@${ts}`, srcIp, srcPort: 40_000, dstIp, dstPort: 443, protocol: 6, ts, features: {}, label: null };
}

/** The values of a stateless group for each input, checking it hands its state back untouched. */
function valuesOf<S>(group: FeatureGroup<S, ThreatIntelInput>, inputs: ThreatIntelInput[]): number[] {
  const state = group.init();
  return inputs.map((input) => {
    const out = group.step(state, input);
    expect(out.state).toBe(state);
    expect(out.values).toHaveLength(group.slots.length);
    return out.values[0]!;
  });
}

describe('80 external threat score', () => {
  it('takes the enrichment score, else the label score, else -1; never a score on another scale', () => {
    const f = flow('45.9.20.7');
    expect(
      valuesOf(externalThreatScoreGroup(), [
        { flow: f, threatScore: 0.7 },
        { flow: f, threatScore: 0.7, labelThreatScore: 0.2 }, // the enrichment wins
        { flow: f, threatScore: null, labelThreatScore: 0.4 },
        { flow: f, labelThreatScore: 0 },
        { flow: f, threatScore: 70 }, // a 0-100 score is not guessed at
        { flow: f, threatScore: Number.NaN, labelThreatScore: 1 },
        { flow: f },
      ]),
    ).toEqual([0.7, 0.7, 0.4, 0, UNKNOWN, 1, UNKNOWN]);
  });
});

describe('81 IP reputation', () => {
  it('reads the provider for public sources, longest prefix first, and -1 for the rest', () => {
    const asked: string[] = [];
    const table = new IpReputationTable([['45.9.20.0/24', 0.5], ['45.9.20.7', 0.9], ['2620:7:6003::141', 0.3], ['fd00::1', 1]]);
    const provider: KeyLookup = { lookup: (ip) => (asked.push(ip), table.lookup(ip)) };
    expect(
      valuesOf(ipReputationGroup({ provider }), [
        { flow: flow('45.9.20.7') }, // the /32
        { flow: flow('45.9.20.8') }, // the /24
        { flow: flow('8.8.8.8') }, // not in the feed: unknown
        { flow: flow('192.168.10.9') }, // private: never asked
        { flow: flow('2620:7:6003::141') }, // public IPv6, asked as is
        { flow: flow('fd00::1') }, // unique-local IPv6: never asked, though the feed lists it
      ]),
    ).toEqual([0.9, 0.5, UNKNOWN, UNKNOWN, 0.3, UNKNOWN]);
    expect(asked).toEqual(['45.9.20.7', '45.9.20.8', '8.8.8.8', '2620:7:6003::141']);
  });

  it('scores a remote cache miss as unknown and the filled value on a later event', () => {
    const cache = new Map<string, number>();
    const group = ipReputationGroup({ provider: { lookup: (ip) => cache.get(ip) } });
    const input = { flow: flow('45.9.20.7') };
    expect(group.step(null, input).values).toEqual([UNKNOWN]);
    cache.set('45.9.20.7', 0.85); // what the asynchronous filler does between events
    expect(group.step(null, input).values).toEqual([0.85]);
  });
});

describe('82 domain age', () => {
  it('is the age in days at the event time, from the domain or its registered parent', () => {
    const provider = new DomainRegistrationTable([
      ['evil.example', Date.UTC(2017, 6, 1)], // 6 days 10 hours before T0
      ['old.example', Date.UTC(1997, 8, 15)],
      ['future.example', Date.UTC(2018, 0, 1)],
    ]);
    const f = flow('45.9.20.7');
    expect(
      valuesOf(domainAgeGroup({ provider }), [
        { flow: f, domain: 'evil.example' }, // (T0 − 2017-07-01) / 1 day = 6 + 10/24
        { flow: f, domain: 'WWW.Evil.Example.' }, // normalised, parent found
        { flow: flow('45.9.20.7', T0 + 2 * DAY), domain: 'evil.example' }, // aged with the event
        { flow: f, domain: 'old.example' }, // 7,235 days + 10 h (1997-09-15 → 2017-07-07)
        { flow: f, domain: 'future.example' }, // registered after the event: 0
        { flow: f, domain: 'unknown.example' },
        { flow: f, domain: 'not a domain' },
        { flow: f, domain: null },
        { flow: f },
      ]),
    ).toEqual([6 + 10 / 24, 6 + 10 / 24, 8 + 10 / 24, 7235 + 10 / 24, 0, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN]);
  });
});

describe('83 ASN reputation', () => {
  const asns: Record<string, number> = { '1.1.1.1': 13335, '1.0.0.1': 13335, '8.8.8.8': 15169 };
  const group = asnReputationGroup({ asnOf: (ip) => asns[ip], halfLifeMs: DAY, priorShare: 0.1, priorWeight: 10 });

  it('starts at the prior, learns from verdicts, and fades back with the half-life', () => {
    let state = group.init();
    const score = (ip: string, ts = T0) => group.step(state, { flow: flow(ip, ts) }).values[0];
    expect(score('1.1.1.1')).toBeCloseTo(0.1, 12); // no verdict: p0

    for (const isAttack of [true, true, true, false]) state = group.observeVerdict(state, 13335, isAttack, T0);
    // A = 3, W = 4: (3 + 10·0.1) / (4 + 10) = 4/14
    expect(score('1.1.1.1')).toBeCloseTo(4 / 14, 12);
    expect(score('1.0.0.1')).toBeCloseTo(4 / 14, 12); // same AS, another address
    expect(score('8.8.8.8')).toBeCloseTo(0.1, 12); // another AS: untouched
    // One half-life later A = 1.5, W = 2: (1.5 + 1) / (2 + 10)
    expect(score('1.1.1.1', T0 + DAY)).toBeCloseTo(2.5 / 12, 12);

    state = group.observeSourceVerdict(state, '8.8.8.8', false, T0);
    // A = 0, W = 1: 1 / 11
    expect(score('8.8.8.8')).toBeCloseTo(1 / 11, 12);
  });

  it('is -1 for sources without an AS, and ignores verdicts about them', () => {
    const state = group.init();
    expect(group.step(state, { flow: flow('192.168.10.9') }).values).toEqual([UNKNOWN]);
    expect(group.observeSourceVerdict(state, '192.168.10.9', true, T0)).toBe(state);
  });

  it('keeps a JSON state that scores the same after a round trip', () => {
    let state = group.init();
    for (let i = 0; i < 50; i++) state = group.observeVerdict(state, 13335 + (i % 7), i % 3 === 0, T0 + i * 60_000);
    const copy = JSON.parse(JSON.stringify(state)) as typeof state;
    const at = { flow: flow('1.1.1.1', T0 + 3 * DAY) };
    expect(group.step(copy, at).values).toEqual(group.step(state, at).values);
  });
});

describe('84 Tor exit', () => {
  it('is 1 for a listed source and 0 otherwise', () => {
    const list = new TorExitSet(['185.220.101.1', '2001:67c:e60:c0c:192:42:116:16']);
    expect(
      valuesOf(torExitGroup({ list }), [
        { flow: flow('185.220.101.1') },
        { flow: flow('185.220.101.2') },
        { flow: flow('2001:67C:E60:C0C:192:42:116:16') },
        { flow: flow('10.0.0.1') },
        { flow: flow('192.168.10.50', T0, '185.220.101.1') }, // only the source counts
      ]),
    ).toEqual([1, 0, 1, 0, 0]);
  });
});

describe('feature specs of 80-84', () => {
  it('list each slot of the groups once, in order, with every field filled', () => {
    const specs = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'features-v2', 'threat-intel.json'), 'utf8')) as FeatureSpec[];
    const groups = [
      externalThreatScoreGroup(),
      ipReputationGroup({ provider: staticLookup([]) }),
      domainAgeGroup({ provider: staticLookup([]) }),
      asnReputationGroup({ asnOf: () => undefined }),
      torExitGroup({ list: new TorExitSet([]) }),
    ];
    expect(specs.map((s) => s.number)).toEqual(groups.flatMap((g) => g.slots));
    expect(specs.map((s) => s.number)).toEqual([80, 81, 82, 83, 84]);
    for (const spec of specs) {
      for (const field of ['name', 'formula', 'window', 'range', 'missing'] as const) expect(spec[field].length, `${spec.number}.${field}`).toBeGreaterThan(3);
    }
  });
});
