/**
 * JSON lines to FlowEvents: one object per line, shaped like schemas/flow-event.avsc, with
 * two conveniences for producers that are not vigil: `ts` may be an ISO-8601 string, and
 * `protocol` may be a name ("tcp"). JSON has no NaN or Infinity, so a feature the producer
 * lacks is `null` (-> NaN), and the strings "NaN"/"Infinity" are read as those values.
 */
import type { FlowEvent } from '../events/flow-event.js';
import { parseProtocol } from '../events/flow-event.js';
import { FLOW_FEATURE_NAMES } from '../features/flow-features.js';
import {
  FEATURES_TEMPLATE,
  flowEventSchemaReason,
  isIpAddress,
  oversizeReason,
  parseIsoTimestamp,
  parseNumber,
  quote,
  describeValue,
  parseJsonObject,
} from './field-parsers.js';
import { DEFAULT_MAX_LINE_BYTES } from './line-reader.js';
import { formatPosition, type Decoded, type Decoder, type RawRecord } from './record.js';

export interface JsonlDecoderOptions {
  maxLineBytes?: number;
}


/** Epoch ms from a number (ms, fraction truncated) or an ISO-8601 string. */
function readTs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === 'string') return parseIsoTimestamp(value);
  return undefined;
}

function readPort(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? parseNumber(value) : undefined;
  return n !== undefined && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

export function createJsonlDecoder(options: JsonlDecoderOptions = {}): Decoder<FlowEvent> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  return {
    format: 'jsonl',
    decode(record: RawRecord): Decoded<FlowEvent> {
      const { position, readAt, text } = record;
      const bad = (reason: string): Decoded<FlowEvent> => ({ ok: false, position, reason, raw: text });
      if (record.oversize || record.byteLength > maxLineBytes) return bad(oversizeReason(record.byteLength, maxLineBytes));

      const json = parseJsonObject(text);
      if (!json.ok) return bad(json.reason);
      const o = json.value as Record<string, unknown>;

      const ts = readTs(o.ts);
      if (ts === undefined) return bad(`bad-timestamp: ts ${describeValue(o.ts)} is neither epoch ms nor ISO-8601`);

      const protocol = parseProtocol(o.protocol);
      if (o.protocol === null || o.protocol === undefined || protocol === undefined) {
        return bad(`unknown-protocol: protocol ${describeValue(o.protocol)}`);
      }

      const srcPort = readPort(o.srcPort);
      if (srcPort === undefined) return bad(`bad-port: srcPort ${describeValue(o.srcPort)}`);
      const dstPort = readPort(o.dstPort);
      if (dstPort === undefined) return bad(`bad-port: dstPort ${describeValue(o.dstPort)}`);
      for (const key of ['srcIp', 'dstIp'] as const) {
        const ip = o[key];
        if (typeof ip === 'string' && !isIpAddress(ip)) return bad(`bad-ip: ${key} ${quote(ip)}`);
      }

      const given = o.features;
      if (typeof given !== 'object' || given === null || Array.isArray(given)) {
        return bad(`missing-feature: features ${describeValue(given)} is not an object of ${FLOW_FEATURE_NAMES.length} features`);
      }
      const source = given as Record<string, unknown>;
      const features: Record<string, unknown> = { ...FEATURES_TEMPLATE };
      const absent: string[] = [];
      for (const name of FLOW_FEATURE_NAMES) {
        if (!Object.hasOwn(source, name)) {
          absent.push(name);
          continue;
        }
        const v = source[name];
        // Anything not readable as a number is left as is: the schema check names it.
        features[name] = v === null ? NaN : typeof v === 'string' ? (parseNumber(v) ?? v) : v;
      }
      if (absent.length > 0) {
        const list = absent.slice(0, 5).join(', ') + (absent.length > 5 ? `, … (${absent.length} in all)` : '');
        return bad(`missing-feature: ${list}`);
      }

      const label = o.label;
      const event = {
        // Producers without ids of their own get the position: stable across re-reads of the
        // same input, which is what deduplication downstream needs.
        eventId: o.eventId === undefined || o.eventId === null ? formatPosition(position) : o.eventId,
        srcIp: o.srcIp,
        srcPort,
        dstIp: o.dstIp,
        dstPort,
        protocol,
        ts,
        features,
        label: label === undefined || label === null ? null : typeof label === 'string' ? label.trim() : label,
      } as FlowEvent;
      const violation = flowEventSchemaReason(event);
      if (violation) return bad(violation);
      return { ok: true, value: event, position, readAt };
    },
  };
}
