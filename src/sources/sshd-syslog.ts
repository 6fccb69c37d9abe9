/**
 * OpenSSH server lines of a BSD syslog file (RFC 3164: `Dec 10 06:55:48 host sshd[24200]: ...`,
 * as in /var/log/auth.log or /var/log/secure) to auth and session events.
 *
 * What becomes an event:
 *
 * | sshd message                                                   | event                         |
 * |----------------------------------------------------------------|-------------------------------|
 * | `Failed <method> for [invalid user ]<user> from <ip> port <p>`  | auth failure (`sshd.failed`)  |
 * | `message repeated N times: [ Failed ... ]`                      | auth failure, attempts N (`sshd.repeated`) |
 * | `Accepted <method> for <user> from <ip> port <p>`               | auth success (`sshd.accepted`) |
 * | `Received disconnect`, `Disconnected from`, `Connection closed by`, `Connection reset by`, `Did not receive identification string`, `Disconnecting`, `fatal:`, `pam_unix(sshd:session): session closed` | session closed |
 *
 * Every other sshd line (PAM detail, reverse-DNS warnings, `Invalid user x from ip` notices
 * that the `Failed ... invalid user` line after them repeats) is well-formed but records no
 * new event: it is returned as `not-an-event`, so counting it once more cannot double a
 * failure. Lines of other programs are `not-sshd` (including the old `sshd(pam_unix)` ident).
 *
 * Time: syslog writes no year and no zone. `year` (required) is the year of the first line;
 * when a line's month falls more than 6 months before the previous line's (Dec -> Jan), the
 * year advances. The clock is read as UTC shifted by `utcOffsetMinutes` (the host's zone).
 *
 * The decoder is stateful across the lines of one input (decode them in input order; build
 * one decoder per input): it remembers, per sshd process (`host:pid`, one per connection),
 * when it was first seen and from which address, so that a close gets a duration (from the
 * process's first line to the close, whole seconds: a lower bound, since sshd logs nothing at
 * connect time at the default log level) and lines without an address (`session closed`,
 * `fatal:`) get their source. A close with no earlier line of its process has durationMs
 * null. Only the first close of a process is an event; a second one within
 * PROCESS_REUSE_GAP_MS is `not-an-event`, later it is taken as a reused pid.
 *
 * Reason codes: `oversize`, `bad-syslog` (no RFC 3164 header), `bad-timestamp`, `not-sshd`,
 * `not-an-event`, `bad-ip`, `unknown-source` (a close whose process never named its
 * address), `schema`.
 */
import { ConfigError } from '../errors/vigil-error.js';
import type { AuthEvent, SecurityEvent, SessionEvent } from '../events/security-events.js';
import { securityEventSchemaReason } from '../events/security-events.js';
import { isIpAddress, oversizeReason, positionKey, quote, utcMillis } from './field-parsers.js';
import { DEFAULT_MAX_LINE_BYTES } from './line-reader.js';
import type { Decoded, Decoder, RawRecord } from './record.js';

export const SSHD_FORMAT = 'sshd-syslog';

export interface SshdDecoderOptions {
  /** Year of the first line (syslog writes none). */
  year: number;
  /** The log's clock minus UTC, in minutes (+480 for a host on UTC+8). Default 0. */
  utcOffsetMinutes?: number;
  maxLineBytes?: number;
  /** sshd processes remembered for durations and addresses; the oldest are forgotten first. */
  maxTrackedProcesses?: number;
}

export const SSHD_DECODER_DEFAULTS = Object.freeze({
  utcOffsetMinutes: 0,
  maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  maxTrackedProcesses: 10_000,
});

/** A second close of the same pid later than this is a new connection that reused the pid. */
export const PROCESS_REUSE_GAP_MS = 60_000;

const MONTHS: Record<string, number> = { Jan: 1, Feb: 2, Mar: 3, Apr: 4, May: 5, Jun: 6, Jul: 7, Aug: 8, Sep: 9, Oct: 10, Nov: 11, Dec: 12 };

/** `Mmm dd hh:mm:ss host program[pid]: message`; the day is space-padded (`Dec  1`). */
const SYSLOG_LINE = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\S+) ([^\s[:]+)(?:\[(\d+)\])?: ?(.*)$/;

/** Whether a first line is BSD syslog, for format detection. */
export function looksLikeSyslog(firstLine: string): boolean {
  const m = SYSLOG_LINE.exec(firstLine.replace(/^\uFEFF/, '').trimEnd());
  return m !== null && MONTHS[m[1]!] !== undefined;
}

const FAILED = /^Failed (\S+) for (invalid user )?(.*?) from (\S+) port (\d+)(?: \S+)?$/;
const ACCEPTED = /^Accepted (\S+) for (.*?) from (\S+) port (\d+)(?: \S+)?(?:: .*)?$/;
const REPEATED = /^message repeated (\d+) times: \[\s*(.*?)\s*\]$/;
const USER = '(?:(?:invalid |authenticating )?user \\S+ )?';

/** Messages that end a connection, with the address group where the message has one. */
const CLOSES: readonly { type: string; pattern: RegExp }[] = [
  { type: 'sshd.received_disconnect', pattern: /^(?:error: )?Received disconnect from (\S+?)(?: port \d+)?: ?\d+: / },
  { type: 'sshd.disconnected', pattern: new RegExp(`^Disconnected from ${USER}(\\S+) port \\d+`) },
  { type: 'sshd.connection_closed', pattern: new RegExp(`^Connection closed by ${USER}(\\S+?)(?: port \\d+)?(?: \\[preauth\\])?$`) },
  { type: 'sshd.connection_reset', pattern: new RegExp(`^Connection reset by ${USER}(\\S+?)(?: port \\d+)?(?: \\[preauth\\])?$`) },
  { type: 'sshd.no_identification', pattern: /^Did not receive identification string from (\S+?)(?: port \d+)?$/ },
  { type: 'sshd.disconnecting', pattern: /^Disconnecting(?: (?:invalid |authenticating )?user \S+ (\S+) port \d+)?: / },
  { type: 'sshd.fatal', pattern: /^fatal: ()/ },
  { type: 'sshd.session_closed', pattern: /^pam_unix\(sshd:session\): session closed for user ()/ },
];

/** Where an address shows in lines that are not events: `from <ip>`, `[<ip>]`, `rhost=<ip>`. */
const ADDRESS_HINTS: readonly RegExp[] = [/ from (\S+?)(?: port \d+|:|$| )/, /\[([0-9a-fA-F:.]+)\]/, /rhost=(\S+)/];

interface ProcessInfo {
  firstTs: number;
  srcIp: string | null;
  closedAt: number | null;
}

interface Header {
  ts: number;
  host: string;
  pid: string | null;
  message: string;
}

function resolveOptions(options: SshdDecoderOptions): Required<SshdDecoderOptions> {
  const o = { ...SSHD_DECODER_DEFAULTS, ...options };
  if (!Number.isInteger(o.year) || o.year < 1970 || o.year > 9999) {
    throw new ConfigError(`createSshdDecoder: year must be the 4-digit year of the log's first line (syslog writes none), got ${String(options.year)}`);
  }
  if (!Number.isFinite(o.utcOffsetMinutes) || Math.abs(o.utcOffsetMinutes) > 14 * 60) {
    throw new ConfigError(`createSshdDecoder: utcOffsetMinutes must be within ±840, got ${String(o.utcOffsetMinutes)}`);
  }
  if (!Number.isInteger(o.maxTrackedProcesses) || o.maxTrackedProcesses < 1) {
    throw new ConfigError(`createSshdDecoder: maxTrackedProcesses must be a positive integer, got ${String(o.maxTrackedProcesses)}`);
  }
  return o;
}

/**
 * A decoder of OpenSSH syslog lines. Stateful (see the module comment): one per input,
 * lines in input order.
 */
export function createSshdDecoder(options: SshdDecoderOptions): Decoder<SecurityEvent> {
  const { year: firstYear, utcOffsetMinutes, maxLineBytes, maxTrackedProcesses } = resolveOptions(options);
  let year = firstYear;
  let previousMonth: number | undefined;
  const processes = new Map<string, ProcessInfo>();

  function readHeader(text: string): Header | string {
    const m = SYSLOG_LINE.exec(text.trimEnd());
    const month = m ? MONTHS[m[1]!] : undefined;
    if (!m || month === undefined) return `bad-syslog: no "Mmm dd hh:mm:ss host program[pid]:" header in ${quote(text)}`;
    if (previousMonth !== undefined && month < previousMonth - 6) year += 1;
    previousMonth = month;
    const local = utcMillis(year, month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), 0);
    if (local === undefined) return `bad-timestamp: ${quote(text.slice(0, 15))} is not a date in ${year}`;
    if (m[7] !== 'sshd') return `not-sshd: program ${quote(m[7]!)}`;
    return { ts: local - utcOffsetMinutes * 60_000, host: m[6]!, pid: m[8] ?? null, message: m[9]! };
  }

  /**
   * Notes a line of process `key` and returns what was known of the process before it
   * (undefined for its first line, or the first line after its pid was reused).
   */
  function track(key: string | null, ts: number, srcIp: string | null): ProcessInfo | undefined {
    if (key === null) return undefined;
    const known = processes.get(key);
    if (known === undefined || (known.closedAt !== null && ts - known.closedAt > PROCESS_REUSE_GAP_MS)) {
      // Deleted and set again so a reused pid moves to the young end of the eviction order.
      processes.delete(key);
      if (processes.size >= maxTrackedProcesses) processes.delete(processes.keys().next().value!);
      processes.set(key, { firstTs: ts, srcIp, closedAt: null });
      return undefined;
    }
    const before = { ...known };
    if (srcIp !== null && known.srcIp === null) known.srcIp = srcIp;
    return before;
  }

  return {
    format: SSHD_FORMAT,
    decode(record: RawRecord): Decoded<SecurityEvent> {
      const { position, readAt, text } = record;
      const bad = (reason: string): Decoded<SecurityEvent> => ({ ok: false, position, reason, raw: text });
      if (record.oversize || record.byteLength > maxLineBytes) return bad(oversizeReason(record.byteLength, maxLineBytes));
      const header = readHeader(text);
      if (typeof header === 'string') return bad(header);
      const { ts, host, pid, message } = header;
      const key = pid === null ? null : `${host}:${pid}`;
      const base = {
        eventId: `sshd|${host}|${pid ?? '-'}|${ts}|${positionKey(position)}`,
        srcPort: null,
        dstIp: null,
        dstPort: null,
        ts,
        sessionId: key,
        sensor: host,
      };
      const done = (event: SecurityEvent): Decoded<SecurityEvent> => {
        const violation = securityEventSchemaReason(event);
        return violation ? bad(violation) : { ok: true, value: event, position, readAt };
      };

      const repeated = REPEATED.exec(message);
      const auth = FAILED.exec(repeated ? repeated[2]! : message);
      if (auth) {
        const [, method, invalid, username, ip, port] = auth as unknown as [string, string, string | undefined, string, string, string];
        if (!isIpAddress(ip)) return bad(`bad-ip: ${quote(ip)} in ${quote(message)}`);
        track(key, ts, ip);
        const event: AuthEvent = {
          kind: 'auth',
          ...base,
          srcIp: ip,
          srcPort: Number(port) <= 65535 ? Number(port) : null,
          sourceEventType: repeated ? 'sshd.repeated' : 'sshd.failed',
          outcome: 'failure',
          username,
          passwordPresent: method === 'password',
          method,
          invalidUser: invalid !== undefined,
          attempts: repeated ? Number(repeated[1]) : 1,
        };
        return done(event);
      }
      if (repeated) {
        track(key, ts, null);
        return bad(`not-an-event: sshd repeated ${quote(repeated[2]!)}`);
      }

      const accepted = ACCEPTED.exec(message);
      if (accepted) {
        const [, method, username, ip, port] = accepted as unknown as [string, string, string, string, string];
        if (!isIpAddress(ip)) return bad(`bad-ip: ${quote(ip)} in ${quote(message)}`);
        track(key, ts, ip);
        const event: AuthEvent = {
          kind: 'auth',
          ...base,
          srcIp: ip,
          srcPort: Number(port) <= 65535 ? Number(port) : null,
          sourceEventType: 'sshd.accepted',
          outcome: 'success',
          username,
          passwordPresent: method === 'password',
          method,
          invalidUser: false,
          attempts: 1,
        };
        return done(event);
      }

      for (const close of CLOSES) {
        const m = close.pattern.exec(message);
        if (!m) continue;
        const named = m[1] ? m[1] : null;
        if (named !== null && !isIpAddress(named)) return bad(`bad-ip: ${quote(named)} in ${quote(message)}`);
        const before = track(key, ts, named);
        if (before && before.closedAt !== null) return bad(`not-an-event: sshd process ${key} already closed: ${quote(message)}`);
        const srcIp = named ?? before?.srcIp ?? null;
        if (srcIp === null) return bad(`unknown-source: no address for sshd process ${key ?? '(no pid)'}: ${quote(message)}`);
        if (key !== null) processes.get(key)!.closedAt = ts;
        const event: SessionEvent = {
          kind: 'session',
          ...base,
          srcIp,
          sourceEventType: close.type,
          phase: 'closed',
          durationMs: before ? ts - before.firstTs : null,
          clientVersion: null,
          protocol: 'ssh',
          target: null,
        };
        return done(event);
      }

      let hinted: string | null = null;
      for (const hint of ADDRESS_HINTS) {
        const candidate = hint.exec(message)?.[1];
        if (candidate !== undefined && isIpAddress(candidate)) {
          hinted = candidate;
          break;
        }
      }
      track(key, ts, hinted);
      return bad(`not-an-event: sshd ${quote(message)}`);
    },
  };
}
