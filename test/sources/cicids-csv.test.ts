import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors/vigil-error.js';
import { FLOW_FEATURES, FLOW_FEATURE_NAMES } from '../../src/features/flow-features.js';
import {
  CICIDS_CORRECTED,
  CICIDS_ORIGINAL,
  createCicidsDecoder,
  parseCorrectedTimestamp,
  parseOriginalTimestamp,
} from '../../src/sources/cicids-csv.js';
import { drain, expectOk, headLines, ORIGINAL_CSV, record, TRAIN_CSV } from './helpers.js';

// Terminators stripped: train.csv ends lines with CRLF, and decoders get lines without them.
const corrected = headLines(TRAIN_CSV, 4).map((l) => l.replace(/\r?\n$/, ''));
const original = readFileSync(ORIGINAL_CSV, 'utf8').split('\n');
const correctedHeader = corrected[0]!;
const originalHeader = original[0]!;
const setCell = (line: string, i: number, value: string) => line.split(',').map((c, j) => (j === i ? value : c)).join(',');
const colIndex = (header: string, name: string) => header.split(',').findIndex((c) => c.trim() === name);

describe('corrected CICIDS2017 CSV', () => {
  const decoder = createCicidsDecoder(correctedHeader, CICIDS_CORRECTED);

  it('decodes a known row of train.csv field by field', () => {
    const e = expectOk(decoder.decode(record(corrected[1]!, 2, 'train.csv')));
    expect(e).toMatchObject({
      eventId: '166856|192.168.10.50-192.168.10.3-15686-53-17|2017-07-03 11:57:51.590705',
      srcIp: '192.168.10.50',
      srcPort: 15686,
      dstIp: '192.168.10.3',
      dstPort: 53,
      protocol: 17,
      ts: Date.UTC(2017, 6, 3, 11, 57, 51, 590),
      label: 'BENIGN',
    });
    expect(Object.keys(e.features)).toEqual(FLOW_FEATURE_NAMES);
    expect(e.features).toMatchObject({
      dst_port: 53,
      flow_duration: 159,
      total_fwd_packet: 2,
      total_length_of_fwd_packet: 86,
      bwd_packet_length_mean: 71,
      flow_bytes_per_s: 1433962.2641509436,
      flow_iat_mean: 53,
      fwd_rst_flags: 0,
      fwd_header_length: 16,
      fwd_packets_per_s: 12578.61635220126,
      fwd_seg_size_min: 8,
    });
  });

  it('maps every feature to its cicflowmeter column', () => {
    const cells = corrected[2]!.split(',');
    const names = correctedHeader.split(',');
    const e = expectOk(decoder.decode(record(corrected[2]!)));
    for (const f of FLOW_FEATURES) expect([f.name, e.features[f.name]]).toEqual([f.name, Number(cells[names.indexOf(f.cicflowmeter)])]);
  });

  it('reads the head of train.csv through the file source: no bad input, unique ids, sorted times', async () => {
    // The whole file (39,393 rows) was checked the same way once; 5,000 rows keep the test fast.
    const { format, events, bad } = await drain(TRAIN_CSV, { limit: 5000 });
    expect(format).toBe('cicids-csv-corrected');
    expect(bad).toEqual([]);
    expect(events.length).toBeGreaterThanOrEqual(5000);
    expect(events.map((e) => e.line).slice(0, 3)).toEqual([2, 3, 4]);
    expect(new Set(events.map((e) => e.event.eventId)).size).toBe(events.length);
    // train.csv is sorted by Timestamp; ts must be too if every row's ts is right.
    expect(events.every((e, i) => i === 0 || e.event.ts >= events[i - 1]!.event.ts)).toBe(true);
  });

  it('reads Infinity, -Infinity, inf and NaN in any case as IEEE values, not bad input', () => {
    const at = (name: string) => colIndex(correctedHeader, name);
    let line = corrected[1]!;
    line = setCell(line, at('Flow Bytes/s'), 'Infinity');
    line = setCell(line, at('Flow Packets/s'), '-INF');
    line = setCell(line, at('Flow IAT Mean'), 'inf');
    line = setCell(line, at('Flow IAT Std'), 'nan');
    line = setCell(line, at('Flow IAT Max'), 'NaN');
    line = setCell(line, at('Flow IAT Min'), '-Infinity');
    const f = expectOk(decoder.decode(record(line))).features;
    expect([f.flow_bytes_per_s, f.flow_packets_per_s, f.flow_iat_mean, f.flow_iat_min]).toEqual([Infinity, -Infinity, Infinity, -Infinity]);
    expect(f.flow_iat_std).toBeNaN();
    expect(f.flow_iat_max).toBeNaN();
  });

  it.each([
    ['', 'empty'],
    [' ', 'blank'],
    ['0x10', 'hex (Number() would read 16)'],
    ['1,5', 'decimal comma'],
    ['12abc', 'trailing garbage'],
  ])('refuses %j (%s) as non-numeric, naming column and value', (value) => {
    const line = setCell(corrected[1]!, colIndex(correctedHeader, 'Flow IAT Mean'), value);
    const d = decoder.decode(record(line));
    if (value.includes(',')) {
      expect(d).toMatchObject({ ok: false, reason: expect.stringMatching(/^column-count: /) });
      return;
    }
    expect(d).toMatchObject({ ok: false, reason: `non-numeric: Flow IAT Mean = ${JSON.stringify(value)}`, raw: line });
  });

  it('reads a row that uses CSV quoting like the same row unquoted', () => {
    const cells = corrected[1]!.split(',');
    const quoted = cells.map((c, i) => (i === 1 || i === 2 || i === cells.length - 2 ? `"${c}"` : c)).join(',');
    expect(expectOk(decoder.decode(record(quoted)))).toEqual(expectOk(decoder.decode(record(corrected[1]!))));
  });

  it('refuses a row with broken quoting as bad-csv', () => {
    const line = corrected[1]!.replace('192.168.10.50,', '"192.168.10.50,');
    expect(decoder.decode(record(line))).toMatchObject({ ok: false, reason: expect.stringMatching(/^bad-csv: /) });
  });

  it('keeps an unknown label as it is: the trainer decides', () => {
    const line = setCell(corrected[1]!, colIndex(correctedHeader, 'Label'), ' Quantum Attack ');
    expect(expectOk(decoder.decode(record(line))).label).toBe('Quantum Attack');
  });

  it('gives label null when the file has no Label column', () => {
    const drop = (line: string) => line.split(',').slice(0, -2).join(','); // Label, Attempted Category
    const unlabelled = createCicidsDecoder(drop(correctedHeader), CICIDS_CORRECTED);
    const e = expectOk(unlabelled.decode(record(drop(corrected[1]!))));
    expect(e.label).toBeNull();
    expect(e.features.flow_duration).toBe(159);
  });

  it.each([
    ['Protocol', '99', /^unknown-protocol: Protocol "99"$/],
    ['Protocol', 'sctp', /^unknown-protocol: /],
    ['Src Port', '-1', /^bad-port: Src Port "-1"$/],
    ['Dst Port', '80.5', /^bad-port: Dst Port "80.5"$/],
    ['Src IP', '999.1.1.1', /^bad-ip: Src IP "999.1.1.1"$/],
    ['Timestamp', '', /^bad-timestamp: Timestamp is empty$/],
    ['Timestamp', '2017-02-30 10:00:00', /^bad-timestamp: Timestamp "2017-02-30 10:00:00" is not YYYY-MM-DD/],
    ['Timestamp', '7/7/2017 3:30', /^bad-timestamp: /],
  ])('refuses %s = %j with a reason starting with its code', (column, value, reason) => {
    const line = setCell(corrected[1]!, colIndex(correctedHeader, column), value);
    const d = decoder.decode(record(line, 7, 'in.csv'));
    expect(d).toMatchObject({ ok: false, reason: expect.stringMatching(reason), raw: line, position: { kind: 'file', file: 'in.csv', line: 7 } });
  });

  it('refuses a row with the wrong number of cells', () => {
    const d = decoder.decode(record(`${corrected[1]!},extra`));
    expect(d).toMatchObject({ ok: false, reason: 'column-count: expected 91 cells, got 92' });
  });

  it('refuses a header that lacks a needed column, naming it', () => {
    const header = correctedHeader.replace('Flow IAT Std,', '');
    expect(() => createCicidsDecoder(header, CICIDS_CORRECTED)).toThrow(InputError);
    expect(() => createCicidsDecoder(header, CICIDS_CORRECTED)).toThrow(/"Flow IAT Std"/);
  });
});

describe('original CICIDS2017 CSV', () => {
  const decoder = createCicidsDecoder(originalHeader, CICIDS_ORIGINAL);
  const decodeLine = (n: number) => expectOk(decoder.decode(record(original[n - 1]!, n, 'orig.csv')));

  it('reads all 299 rows of original-format-head.csv', async () => {
    const { format, events, bad } = await drain(ORIGINAL_CSV);
    expect(format).toBe('cicids-csv-original');
    expect(bad).toEqual([]);
    expect(events).toHaveLength(299);
    expect(new Set(events.map((e) => e.event.eventId)).size).toBe(299);
    // Features this release lacks are NaN, not 0: 0 would claim "no RST seen".
    for (const { event } of events) {
      expect(event.features.fwd_rst_flags).toBeNaN();
      expect(event.features.bwd_rst_flags).toBeNaN();
      expect(event.label).toBe('BENIGN');
    }
  });

  it('parses Infinity in Flow Bytes/s and Flow Packets/s (line 67)', () => {
    const e = decodeLine(67);
    expect(e.features.flow_bytes_per_s).toBe(Infinity);
    expect(e.features.flow_packets_per_s).toBe(Infinity);
    expect(e.eventId).toBe('185.86.137.17-192.168.10.5-443-55043-6|7/7/2017 3:30|67');
    expect(e).toMatchObject({ srcIp: '185.86.137.17', srcPort: 443, dstIp: '192.168.10.5', dstPort: 55043, protocol: 6 });
  });

  it('maps every feature to its originalName column, the first of the duplicated Fwd Header Length', () => {
    const names = originalHeader.split(',').map((c) => c.trim());
    const [first, second] = names.flatMap((n, i) => (n === 'Fwd Header Length' ? [i] : []));
    expect([first, second]).toEqual([40, 61]);
    // The real rows hold the same value twice; make the copy differ to see which one is read.
    const line = setCell(original[1]!, second!, '999999');
    const cells = line.split(',');
    const e = expectOk(decoder.decode(record(line)));
    expect(e.features.fwd_header_length).toBe(Number(cells[first!]));
    for (const f of FLOW_FEATURES) {
      if (f.originalName === null) continue;
      expect([f.name, e.features[f.name]]).toEqual([f.name, Number(cells[names.indexOf(f.originalName)])]);
    }
  });

  it('converts 7/7/2017 3:30 (12-hour, capture local UTC-3) to 18:30 UTC', () => {
    expect(decodeLine(2).ts).toBe(Date.UTC(2017, 6, 7, 18, 30));
  });

  it('agrees with the corrected release on the same flow', () => {
    // Line 215 here and a train.csv row are one flow: same 5-tuple and Flow Duration 152273.
    // The corrected release times it 2017-07-07 18:30:25.885216 UTC; the original has
    // minute resolution, so it must land in that minute.
    const e = decodeLine(215);
    expect(e.eventId.startsWith('192.168.10.16-199.244.48.55-42134-443-6|')).toBe(true);
    expect(e.features.flow_duration).toBe(152273);
    const correctedTs = Date.UTC(2017, 6, 7, 18, 30, 25, 885);
    expect(correctedTs - e.ts).toBeGreaterThanOrEqual(0);
    expect(correctedTs - e.ts).toBeLessThan(60_000);
  });
});

describe('timestamps', () => {
  it.each([
    ['7/7/2017 3:30', Date.UTC(2017, 6, 7, 18, 30)], // 3 PM local
    ['7/7/2017 7:59', Date.UTC(2017, 6, 7, 22, 59)], // last PM hour of the rule
    ['5/7/2017 8:42', Date.UTC(2017, 6, 5, 11, 42)], // 8 AM, day first: 5 July
    ['4/7/2017 12:05', Date.UTC(2017, 6, 4, 15, 5)], // noon
    ['3/7/2017 11:59:30', Date.UTC(2017, 6, 3, 14, 59, 30)], // with seconds
    ['6/7/2017 15:10', Date.UTC(2017, 6, 6, 18, 10)], // a 24-hour export stays as written
    ['7/7/2017 23:30', Date.UTC(2017, 6, 8, 2, 30)], // crosses midnight in UTC
  ])('original %s', (text, expected) => {
    expect(parseOriginalTimestamp(text)).toBe(expected);
  });

  it.each(['7/7/2017 25:30', '31/6/2017 9:00', '7/13/2017 9:00', '2017-07-07 09:00:00', '7/7/2017', '7/7/2017 3:30 PM'])(
    'original %j is unreadable',
    (text) => expect(parseOriginalTimestamp(text)).toBeUndefined(),
  );

  it.each([
    ['2017-07-03 11:57:51.590705', Date.UTC(2017, 6, 3, 11, 57, 51, 590)],
    ['2017-07-03 11:57:51', Date.UTC(2017, 6, 3, 11, 57, 51)],
    ['2016-02-29 00:00:00.5', Date.UTC(2016, 1, 29, 0, 0, 0, 500)],
  ])('corrected %s', (text, expected) => {
    expect(parseCorrectedTimestamp(text)).toBe(expected);
  });

  it.each(['2017-02-29 00:00:00', '2017-07-03 24:00:00', '2017-07-03 11:57', '03/07/2017 11:57:51'])('corrected %j is unreadable', (text) =>
    expect(parseCorrectedTimestamp(text)).toBeUndefined(),
  );
});
