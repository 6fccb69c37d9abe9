import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FlowEvent } from '../../src/events/flow-event.js';
import { CICIDS_ORIGINAL, createCicidsDecoder } from '../../src/sources/cicids-csv.js';
import { createJsonlDecoder } from '../../src/sources/jsonl-flows.js';
import { expectOk, ORIGINAL_CSV, record } from './helpers.js';

// Real events with every kind of value: Infinity (line 67), NaN (RST flags), plain numbers.
const original = readFileSync(ORIGINAL_CSV, 'utf8').split('\n');
const csv = createCicidsDecoder(original[0]!, CICIDS_ORIGINAL);
const events: FlowEvent[] = [2, 3, 67, 68].map((n) => expectOk(csv.decode(record(original[n - 1]!, n))));

/** JSON as a non-vigil producer would write it: NaN -> null, Infinity -> "Infinity". */
const toJson = (e: object) =>
  JSON.stringify(e, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? null : String(v)) : v));

const decoder = createJsonlDecoder();
const decode = (text: string, line = 5) => decoder.decode(record(text, line, 'flows.jsonl'));
const base = events[0]!;
const withFields = (fields: Record<string, unknown>) => toJson({ ...base, ...fields });

describe('JSON-lines decoder', () => {
  it('gives back the events it was given, NaN and Infinity included', () => {
    for (const e of events) expect(expectOk(decode(toJson(e)))).toEqual(e);
    expect(expectOk(decode(toJson(events[2]!))).features.flow_bytes_per_s).toBe(Infinity);
  });

  it.each([
    ['epoch ms', base.ts],
    ['ISO UTC', '2017-07-07T18:30:00Z'],
    ['ISO with offset', '2017-07-07T15:30:00-03:00'],
    ['ISO without zone (read as UTC)', '2017-07-07 18:30:00.000'],
  ])('reads ts as %s', (_what, ts) => {
    expect(expectOk(decode(withFields({ ts }))).ts).toBe(Date.UTC(2017, 6, 7, 18, 30));
  });

  it('reads protocol names', () => {
    expect(expectOk(decode(withFields({ protocol: 'tcp' }))).protocol).toBe(6);
    expect(expectOk(decode(withFields({ protocol: 'UDP' }))).protocol).toBe(17);
  });

  it('uses file:line as the event id when the producer gives none', () => {
    const { eventId: _drop, ...rest } = base;
    expect(expectOk(decode(toJson(rest), 12)).eventId).toBe('flows.jsonl:12');
  });

  it('keeps an unknown label', () => {
    expect(expectOk(decode(withFields({ label: 'zero-day' }))).label).toBe('zero-day');
  });

  const withoutFeature = (name: string) => {
    const features: Record<string, number> = { ...base.features };
    delete features[name];
    return withFields({ features });
  };

  it.each([
    ['a cut line', toJson(base).slice(0, -10), /^bad-json: /],
    ['an array', '[1,2]', /^bad-json: expected an object, got an array$/],
    ['no ts', withFields({ ts: undefined }), /^bad-timestamp: ts missing/],
    ['an unreadable ts', withFields({ ts: 'last tuesday' }), /^bad-timestamp: ts "last tuesday"/],
    ['an impossible date', withFields({ ts: '2017-02-30T00:00:00Z' }), /^bad-timestamp: /],
    ['an unknown protocol', withFields({ protocol: 'sctp' }), /^unknown-protocol: protocol "sctp"$/],
    ['no protocol', withFields({ protocol: undefined }), /^unknown-protocol: protocol missing$/],
    ['a missing feature', withoutFeature('idle_max'), /^missing-feature: idle_max$/],
    ['no features', withFields({ features: undefined }), /^missing-feature: /],
    ['a port out of range', withFields({ dstPort: 70_000 }), /^bad-port: dstPort 70000$/],
    ['a numeric srcIp', withFields({ srcIp: 3232238090 }), /^schema: srcIp: 3232238090 is not string/],
    ['a feature that is not a number', withFields({ features: { ...base.features, flow_duration: 'long' } }), /^schema: features\.flow_duration: "long" is not double/],
  ])('refuses %s', (_what, text, reason) => {
    expect(decode(text, 9)).toMatchObject({ ok: false, reason: expect.stringMatching(reason), raw: text, position: { kind: 'file', file: 'flows.jsonl', line: 9 } });
  });

  it('refuses an oversize record without parsing it', () => {
    const r = { ...record('{"eventId":"x"', 3, 'flows.jsonl'), byteLength: 2_000_000, oversize: true };
    expect(decoder.decode(r)).toMatchObject({ ok: false, reason: 'oversize: line of 2000000 bytes exceeds the 1048576-byte limit' });
  });
});
