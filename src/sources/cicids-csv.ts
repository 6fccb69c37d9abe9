/**
 * CICIDS2017 CSV rows to FlowEvents. One decoder serves both releases; what differs between
 * them (column names, timestamp format, event id) is a `CicidsDialect`.
 */
import Papa from 'papaparse';
import { InputError } from '../errors/vigil-error.js';
import type { FlowEvent } from '../events/flow-event.js';
import { parseProtocol } from '../events/flow-event.js';
import { FLOW_FEATURES, type FlowFeatureSpec } from '../features/flow-features.js';
import { splitCsvHeader, type InputFormat } from './detect-format.js';
import {
  FEATURES_TEMPLATE,
  flowEventSchemaReason,
  fractionMillis,
  isIpAddress,
  oversizeReason,
  parseNumber,
  parsePort,
  positionKey,
  quote,
  utcMillis,
} from './field-parsers.js';
import { DEFAULT_MAX_LINE_BYTES } from './line-reader.js';
import type { Decoded, Decoder, RawRecord } from './record.js';

export interface CicidsDialect {
  format: Extract<InputFormat, 'cicids-csv-corrected' | 'cicids-csv-original'>;
  columns: { srcIp: string; srcPort: string; dstIp: string; dstPort: string; protocol: string; timestamp: string };
  /** Optional: without it events have `label: null`. */
  labelColumn: string;
  /** The column of a feature in this release, or null where the release lacks it (-> NaN). */
  featureColumn(feature: FlowFeatureSpec): string | null;
  /** Cells joined with `|` to make the event id... */
  idColumns: readonly string[];
  /** ...plus the record's position when those cells are not unique on their own. */
  idWithPosition: boolean;
  /** Epoch ms UTC, or undefined when unreadable. */
  parseTimestamp(text: string): number | undefined;
  /** For bad-timestamp reasons: what a timestamp should look like. */
  timestampShape: string;
}

const CORRECTED_TS = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/** Corrected release: `2017-07-03 11:57:51.590705`, already UTC (capture local time + 3 h). */
export function parseCorrectedTimestamp(text: string): number | undefined {
  const m = CORRECTED_TS.exec(text);
  if (!m) return undefined;
  return utcMillis(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), fractionMillis(m[7]));
}

const ORIGINAL_TS = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$/;
/** The capture's local time was ADT, UTC-3 (Fredericton, New Brunswick, in July). */
const CAPTURE_UTC_OFFSET_HOURS = -3;

/**
 * Original release: `7/7/2017 3:30` is capture-local time, day first, on a 12-hour clock
 * with no AM/PM, usually without seconds.
 *
 * Day first (D/M/YYYY): the capture ran Monday 3 July to Friday 7 July 2017, and the original
 * files date Wednesday's DoS Hulk flows `5/7/2017` (5 July; as M/D it would be 7 May, outside
 * the capture). 7/7 reads the same either way.
 *
 * Hours: the capture ran about 08:00 to 18:00 local, so 8..12 are morning and noon as
 * written and 1..7 are afternoon (+12). 13..23 (a 24-hour export) and 0 are kept as written.
 *
 * Checked against the corrected train.csv: flow 192.168.10.16-199.244.48.55-42134-443-6 is
 * `7/7/2017 3:30` in original-format-head.csv (line 215, Flow Duration 152273) and
 * `2017-07-07 18:30:25.885216` UTC in train.csv with the same duration: 3:30 -> 15:30 local
 * -> 18:30 UTC, as this rule gives. Friday's DDoS rows in train.csv sit at 18:xx-19:xx UTC,
 * i.e. 15:xx-16:xx local, which the original files write as 3:xx-4:xx.
 */
export function parseOriginalTimestamp(text: string): number | undefined {
  const m = ORIGINAL_TS.exec(text);
  if (!m) return undefined;
  const hour12 = Number(m[4]);
  const hour = hour12 >= 1 && hour12 <= 7 ? hour12 + 12 : hour12;
  const local = utcMillis(Number(m[3]), Number(m[2]), Number(m[1]), hour, Number(m[5]), Number(m[6] ?? 0), 0);
  return local === undefined ? undefined : local - CAPTURE_UTC_OFFSET_HOURS * 3_600_000;
}

export const CICIDS_CORRECTED: CicidsDialect = {
  format: 'cicids-csv-corrected',
  columns: { srcIp: 'Src IP', srcPort: 'Src Port', dstIp: 'Dst IP', dstPort: 'Dst Port', protocol: 'Protocol', timestamp: 'Timestamp' },
  labelColumn: 'Label',
  featureColumn: (f) => f.cicflowmeter,
  // `id` is unique only within one day's file; with Flow ID and Timestamp it is unique (data README).
  idColumns: ['id', 'Flow ID', 'Timestamp'],
  idWithPosition: false,
  parseTimestamp: parseCorrectedTimestamp,
  timestampShape: 'YYYY-MM-DD HH:MM:SS[.ffffff]',
};

export const CICIDS_ORIGINAL: CicidsDialect = {
  format: 'cicids-csv-original',
  columns: { srcIp: 'Source IP', srcPort: 'Source Port', dstIp: 'Destination IP', dstPort: 'Destination Port', protocol: 'Protocol', timestamp: 'Timestamp' },
  labelColumn: 'Label',
  featureColumn: (f) => f.originalName,
  // No row id in this release, and Flow ID + minute-resolution Timestamp repeats: the line
  // number (or Kafka offset) makes it unique within one input.
  idColumns: ['Flow ID', 'Timestamp'],
  idWithPosition: true,
  parseTimestamp: parseOriginalTimestamp,
  timestampShape: 'D/M/YYYY H:MM[:SS]',
};

export function cicidsDialect(format: InputFormat): CicidsDialect {
  if (format === 'cicids-csv-corrected') return CICIDS_CORRECTED;
  if (format === 'cicids-csv-original') return CICIDS_ORIGINAL;
  throw new InputError(`${format} is not a CICIDS2017 CSV format`);
}

export interface CicidsDecoderOptions {
  maxLineBytes?: number;
}

/**
 * A decoder for rows under `headerLine`. Columns are found by trimmed name (the original
 * release pads names with a space); where a name repeats, the first column wins (the original
 * release has `Fwd Header Length` twice, the second a copy). A header missing a column the
 * dialect needs is an InputError: every row would fail, so the input as a whole is unusable.
 */
export function createCicidsDecoder(headerLine: string, dialect: CicidsDialect, options: CicidsDecoderOptions = {}): Decoder<FlowEvent> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const names = splitCsvHeader(headerLine.replace(/^\uFEFF/, ''));
  const width = names.length;
  const index = new Map<string, number>();
  names.forEach((name, i) => {
    if (!index.has(name)) index.set(name, i);
  });

  const missing: string[] = [];
  const col = (name: string): number => {
    const i = index.get(name);
    if (i === undefined) {
      missing.push(name);
      return -1;
    }
    return i;
  };
  const c = dialect.columns;
  const srcIpAt = col(c.srcIp);
  const srcPortAt = col(c.srcPort);
  const dstIpAt = col(c.dstIp);
  const dstPortAt = col(c.dstPort);
  const protocolAt = col(c.protocol);
  const timestampAt = col(c.timestamp);
  const idAt = dialect.idColumns.map(col);
  const featureNames = FLOW_FEATURES.map((f) => f.name);
  const featureColumns = FLOW_FEATURES.map((f) => dialect.featureColumn(f));
  const featureAt = featureColumns.map((name) => (name === null ? -1 : col(name)));
  const labelAt = index.get(dialect.labelColumn) ?? -1;
  if (missing.length > 0) {
    throw new InputError(`${dialect.format} header lacks column(s) ${missing.map((m) => JSON.stringify(m)).join(', ')}`);
  }

  const splitRow = (text: string): string[] | string => {
    // Plain split is ~2x papaparse and CICFlowMeter never quotes; a quote means someone
    // re-saved the file (a spreadsheet), so only then pay for a real CSV parser.
    if (!text.includes('"')) return text.split(',');
    const parsed = Papa.parse<string[]>(text, { header: false, delimiter: ',' });
    const problem = parsed.errors[0];
    if (problem) return `bad-csv: ${problem.message}`;
    return parsed.data[0] ?? [];
  };

  return {
    format: dialect.format,
    decode(record: RawRecord): Decoded<FlowEvent> {
      const { position, readAt, text } = record;
      const bad = (reason: string): Decoded<FlowEvent> => ({ ok: false, position, reason, raw: text });
      if (record.oversize || record.byteLength > maxLineBytes) return bad(oversizeReason(record.byteLength, maxLineBytes));

      const cells = splitRow(text);
      if (typeof cells === 'string') return bad(cells);
      if (cells.length !== width) return bad(`column-count: expected ${width} cells, got ${cells.length}`);
      const cell = (i: number): string => (cells[i] as string).trim();

      const tsText = cell(timestampAt);
      if (tsText === '') return bad(`bad-timestamp: ${c.timestamp} is empty`);
      const ts = dialect.parseTimestamp(tsText);
      if (ts === undefined) return bad(`bad-timestamp: ${c.timestamp} ${quote(tsText)} is not ${dialect.timestampShape}`);

      const protocol = parseProtocol(cell(protocolAt));
      if (protocol === undefined) return bad(`unknown-protocol: ${c.protocol} ${quote(cell(protocolAt))}`);

      const srcPort = parsePort(cells[srcPortAt] as string);
      if (srcPort === undefined) return bad(`bad-port: ${c.srcPort} ${quote(cell(srcPortAt))}`);
      const dstPort = parsePort(cells[dstPortAt] as string);
      if (dstPort === undefined) return bad(`bad-port: ${c.dstPort} ${quote(cell(dstPortAt))}`);

      const srcIp = cell(srcIpAt);
      if (!isIpAddress(srcIp)) return bad(`bad-ip: ${c.srcIp} ${quote(srcIp)}`);
      const dstIp = cell(dstIpAt);
      if (!isIpAddress(dstIp)) return bad(`bad-ip: ${c.dstIp} ${quote(dstIp)}`);

      const features: Record<string, number> = { ...FEATURES_TEMPLATE };
      for (let f = 0; f < featureAt.length; f++) {
        const at = featureAt[f] as number;
        if (at < 0) continue; // not in this release: stays NaN
        const value = parseNumber(cells[at] as string);
        if (value === undefined) return bad(`non-numeric: ${featureColumns[f]} = ${quote(cells[at] as string)}`);
        features[featureNames[f] as string] = value;
      }

      let eventId = idAt.map(cell).join('|');
      if (dialect.idWithPosition) eventId += `|${positionKey(position)}`;
      // An empty Label cell means unlabelled, the same as no Label column.
      const label = labelAt >= 0 ? cell(labelAt) || null : null;

      const event: FlowEvent = { eventId, srcIp, srcPort, dstIp, dstPort, protocol, ts, features, label };
      const violation = flowEventSchemaReason(event);
      if (violation) return bad(violation);
      return { ok: true, value: event, position, readAt };
    },
  };
}
