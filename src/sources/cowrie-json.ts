/**
 * Cowrie honeypot JSON lines (cowrie.json) to auth, command and session events.
 *
 * Every Cowrie line names its event (`eventid`), the session, the client address and the
 * time; this decoder keeps what the behavioral features need and drops the rest (the
 * `message` text is never read: it quotes the password of every login attempt).
 *
 * | eventid                                   | event                                        |
 * |-------------------------------------------|----------------------------------------------|
 * | cowrie.session.connect                    | session connect (ports, protocol)            |
 * | cowrie.client.version                     | session client_version                       |
 * | cowrie.session.closed                     | session closed, `duration` s -> durationMs   |
 * | cowrie.login.failed / cowrie.login.success | auth failure / success, username, password given? |
 * | cowrie.command.input / cowrie.command.failed | command input / failed                     |
 * | cowrie.direct-tcpip.request / .data       | session tunnel / tunnel_data, target host:port |
 * | cowrie.session.file_download[.failed]    | session download, target the URL             |
 * | any other cowrie.*                        | session other (Cowrie adds ids over versions) |
 *
 * Event id: `session|timestamp|eventid`, the three as Cowrie wrote them: unique in the 56 days
 * of ../shared/data/cowrie (102,686 events), and the same on every re-read.
 *
 * Bad lines become `{ ok: false, reason }`; the reason starts with a stable code:
 * `oversize`, `bad-json`, `unknown-event` (no `cowrie.` eventid), `missing-field`,
 * `bad-timestamp`, `bad-ip`, `bad-field` (a field of the wrong type or out of range),
 * `schema` (the event does not fit its Avro schema; a decoder bug if ever seen).
 */
import type { AuthEvent, CommandEvent, SecurityEvent, SessionEvent, SessionPhase } from '../events/security-events.js';
import { securityEventSchemaReason } from '../events/security-events.js';
import { describeValue, isIpAddress, oversizeReason, parseIsoTimestamp, parseJsonObject, quote } from './field-parsers.js';
import { DEFAULT_MAX_LINE_BYTES } from './line-reader.js';
import type { Decoded, Decoder, RawRecord } from './record.js';

export const COWRIE_FORMAT = 'cowrie-json';

export interface CowrieDecoderOptions {
  maxLineBytes?: number;
}

const COWRIE_PREFIX = 'cowrie.';

/**
 * Whether a first line is a Cowrie event, for format detection: a JSON object whose
 * `eventid` starts with `cowrie.`. Parsed, not pattern-matched, so key order and spacing
 * (Cowrie versions differ in both) do not matter.
 */
export function looksLikeCowrieJson(firstLine: string): boolean {
  const line = firstLine.replace(/^\uFEFF/, '').trim();
  if (!line.startsWith('{') || !line.includes(COWRIE_PREFIX)) return false;
  try {
    const o = JSON.parse(line) as { eventid?: unknown } | null;
    return typeof o?.eventid === 'string' && o.eventid.startsWith(COWRIE_PREFIX);
  } catch {
    return false; // not JSON at all: detection simply says "not Cowrie"
  }
}

const SESSION_PHASES_BY_ID: Record<string, SessionPhase> = {
  'cowrie.session.connect': 'connect',
  'cowrie.client.version': 'client_version',
  'cowrie.session.closed': 'closed',
  'cowrie.direct-tcpip.request': 'tunnel',
  'cowrie.direct-tcpip.data': 'tunnel_data',
  'cowrie.session.file_download': 'download',
  'cowrie.session.file_download.failed': 'download',
};

/** A field's value for a reason text: short, and never the whole line. */

const optionalString = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function optionalPort(v: unknown): number | null | undefined {
  if (v === undefined || v === null) return null;
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535 ? v : undefined;
}

type Fields = Record<string, unknown>;
type Base = Omit<SessionEvent, 'kind' | 'phase' | 'durationMs' | 'clientVersion' | 'protocol' | 'target'>;
/** An event, or the reason the line is bad. */
type Built = SecurityEvent | string;

function buildSession(o: Fields, base: Base, phase: SessionPhase): Built {
  const event: SessionEvent = { kind: 'session', ...base, phase, durationMs: null, clientVersion: null, protocol: null, target: null };
  switch (phase) {
    case 'connect': {
      const srcPort = optionalPort(o.src_port);
      const dstPort = optionalPort(o.dst_port);
      if (srcPort === undefined) return `bad-field: src_port ${describeValue(o.src_port)}`;
      if (dstPort === undefined) return `bad-field: dst_port ${describeValue(o.dst_port)}`;
      return { ...event, srcPort, dstIp: optionalString(o.dst_ip), dstPort, protocol: optionalString(o.protocol) };
    }
    case 'client_version':
      return { ...event, clientVersion: optionalString(o.version) };
    case 'closed': {
      const d = o.duration;
      if (d === undefined || d === null) return event;
      if (typeof d !== 'number' || !Number.isFinite(d) || d < 0) return `bad-field: duration ${describeValue(d)}`;
      return { ...event, durationMs: d * 1000 };
    }
    case 'tunnel':
    case 'tunnel_data':
      return { ...event, target: typeof o.dst_ip !== 'string' ? null : typeof o.dst_port === 'number' ? `${o.dst_ip}:${o.dst_port}` : o.dst_ip };
    case 'download':
      return { ...event, target: optionalString(o.url) };
    default:
      return event;
  }
}

function buildEvent(eventid: string, o: Fields, base: Base): Built {
  if (eventid === 'cowrie.login.failed' || eventid === 'cowrie.login.success') {
    if (o.username !== undefined && o.username !== null && typeof o.username !== 'string') return `bad-field: username ${describeValue(o.username)}`;
    const event: AuthEvent = {
      kind: 'auth',
      ...base,
      outcome: eventid === 'cowrie.login.success' ? 'success' : 'failure',
      username: optionalString(o.username),
      // Read for its length only: the password itself goes nowhere.
      passwordPresent: typeof o.password === 'string' && o.password.length > 0,
      method: 'password',
      invalidUser: null,
      attempts: 1,
    };
    return event;
  }
  if (eventid === 'cowrie.command.input' || eventid === 'cowrie.command.failed') {
    if (typeof o.input !== 'string') return `missing-field: input ${describeValue(o.input)}`;
    const event: CommandEvent = { kind: 'command', ...base, action: eventid === 'cowrie.command.input' ? 'input' : 'failed', input: o.input };
    return event;
  }
  return buildSession(o, base, SESSION_PHASES_BY_ID[eventid] ?? 'other');
}

/** A decoder of Cowrie JSON lines; stateless, so lines may be decoded in any order. */
export function createCowrieDecoder(options: CowrieDecoderOptions = {}): Decoder<SecurityEvent> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  return {
    format: COWRIE_FORMAT,
    decode(record: RawRecord): Decoded<SecurityEvent> {
      const { position, readAt, text } = record;
      const bad = (reason: string): Decoded<SecurityEvent> => ({ ok: false, position, reason, raw: text });
      if (record.oversize || record.byteLength > maxLineBytes) return bad(oversizeReason(record.byteLength, maxLineBytes));

      const json = parseJsonObject(text);
      if (!json.ok) return bad(json.reason);
      const o = json.value as Fields;

      const eventid = o.eventid;
      if (typeof eventid !== 'string' || !eventid.startsWith(COWRIE_PREFIX)) return bad(`unknown-event: eventid ${describeValue(eventid)} is not a Cowrie event`);
      if (typeof o.session !== 'string' || o.session === '') return bad(`missing-field: session ${describeValue(o.session)}`);
      if (typeof o.timestamp !== 'string') return bad(`missing-field: timestamp ${describeValue(o.timestamp)}`);
      const ts = parseIsoTimestamp(o.timestamp);
      if (ts === undefined) return bad(`bad-timestamp: timestamp ${quote(o.timestamp)} is not ISO-8601`);
      if (typeof o.src_ip !== 'string') return bad(`missing-field: src_ip ${describeValue(o.src_ip)}`);
      if (!isIpAddress(o.src_ip)) return bad(`bad-ip: src_ip ${quote(o.src_ip)}`);

      const base: Base = {
        eventId: `${o.session}|${o.timestamp}|${eventid}`,
        srcIp: o.src_ip,
        srcPort: null,
        dstIp: null,
        dstPort: null,
        ts,
        sessionId: o.session,
        sensor: optionalString(o.sensor),
        sourceEventType: eventid,
      };
      const built = buildEvent(eventid, o, base);
      if (typeof built === 'string') return bad(built);
      const violation = securityEventSchemaReason(built);
      if (violation) return bad(violation);
      return { ok: true, value: built, position, readAt };
    },
  };
}
