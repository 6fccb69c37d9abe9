import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import type { SecurityEvent } from '../../src/events/security-events.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { createSshdDecoder, looksLikeSyslog, PROCESS_REUSE_GAP_MS } from '../../src/sources/sshd-syslog.js';
import type { Decoded } from '../../src/sources/record.js';
import { record } from './helpers.js';

const SSHD_DIR = resolve(PACKAGE_ROOT, '../shared/data/sshd');
const openssh = readFileSync(resolve(SSHD_DIR, 'OpenSSH_2k.log'), 'utf8').split('\n');
const linux = readFileSync(resolve(SSHD_DIR, 'Linux_2k.log'), 'utf8').split('\n');

// loghub does not say the year of OpenSSH_2k.log; the tests pick one.
const YEAR = 2017;

function expectEvent(d: Decoded<SecurityEvent>): SecurityEvent {
  if (!d.ok) throw new Error(`expected an event, got bad input: ${d.reason}`);
  return d.value;
}
const reasonCode = (d: Decoded<SecurityEvent>): string => (d.ok ? 'ok' : d.reason.split(':')[0]!);

/** Decodes the file's lines 1..last in order (the decoder is stateful), keyed by line number. */
function decodeUpTo(last: number, lines = openssh, options = { year: YEAR }): Map<number, Decoded<SecurityEvent>> {
  const decoder = createSshdDecoder(options);
  const out = new Map<number, Decoded<SecurityEvent>>();
  lines.slice(0, last).forEach((text, i) => {
    if (text.trim() !== '') out.set(i + 1, decoder.decode(record(text, i + 1, 'OpenSSH_2k.log')));
  });
  return out;
}

describe('sshd syslog decoder on OpenSSH_2k.log', () => {
  const decoded = decodeUpTo(openssh.length);
  const at = (n: number) => decoded.get(n)!;

  it('reads a failed password for an invalid user (line 6)', () => {
    expect(expectEvent(at(6))).toEqual({
      kind: 'auth',
      eventId: `sshd|LabSZ|24200|${Date.UTC(YEAR, 11, 10, 6, 55, 48)}|6`,
      srcIp: '173.234.31.186',
      srcPort: 38926,
      dstIp: null,
      dstPort: null,
      ts: Date.UTC(YEAR, 11, 10, 6, 55, 48),
      sessionId: 'LabSZ:24200',
      sensor: 'LabSZ',
      sourceEventType: 'sshd.failed',
      outcome: 'failure',
      username: 'webmaster',
      passwordPresent: true,
      method: 'password',
      invalidUser: true,
      attempts: 1,
    });
  });

  it('does not count the notices around a failure again (lines 1-5)', () => {
    for (const n of [1, 2, 3, 4, 5]) expect(reasonCode(at(n))).toBe('not-an-event');
  });

  it('gives a close the time since its process was first seen (line 7: 06:55:46 -> 06:55:48)', () => {
    expect(expectEvent(at(7))).toMatchObject({ kind: 'session', phase: 'closed', srcIp: '173.234.31.186', durationMs: 2000, sourceEventType: 'sshd.connection_closed', sessionId: 'LabSZ:24200' });
  });

  it('reads "message repeated 5 times" as 5 more attempts (line 30)', () => {
    expect(expectEvent(at(29))).toMatchObject({ outcome: 'failure', username: 'root', invalidUser: false, attempts: 1 });
    expect(expectEvent(at(30))).toMatchObject({ outcome: 'failure', username: 'root', invalidUser: false, attempts: 5, sourceEventType: 'sshd.repeated', srcPort: 42393 });
  });

  it('takes the address of a close without one from its process (line 31: 07:13:31 -> 07:13:56)', () => {
    expect(expectEvent(at(31))).toMatchObject({ phase: 'closed', srcIp: '5.36.59.76', durationMs: 25_000, sourceEventType: 'sshd.disconnecting' });
    // Lines 32-33 follow the close within a second: PAM summaries, no new event.
    expect(reasonCode(at(32))).toBe('not-an-event');
  });

  it('reads the one accepted login and its session close (lines 956, 965)', () => {
    expect(expectEvent(at(956))).toMatchObject({ kind: 'auth', outcome: 'success', username: 'fztu', method: 'password', srcIp: '119.137.62.142', srcPort: 49116 });
    // 09:32:20 -> 09:45:06 = 766 s.
    expect(expectEvent(at(965))).toMatchObject({ phase: 'closed', srcIp: '119.137.62.142', durationMs: 766_000, sourceEventType: 'sshd.session_closed' });
  });

  it('reads a fatal error as the end of its connection (line 1869)', () => {
    expect(expectEvent(at(1869))).toMatchObject({ phase: 'closed', srcIp: '183.62.140.253', durationMs: 2000, sourceEventType: 'sshd.fatal' });
  });

  it('leaves the duration unknown when the close is its process\'s only line (line 139)', () => {
    expect(expectEvent(at(139))).toMatchObject({ phase: 'closed', srcIp: '123.235.32.19', durationMs: null, sourceEventType: 'sshd.no_identification' });
  });

  it('turns every "Failed" line of the file into one auth failure, and no line into a bad one', () => {
    const failedLines = openssh.filter((l) => / sshd\[\d+\]: (message repeated \d+ times: \[ )?Failed /.test(l)).length;
    const events = [...decoded.values()].flatMap((d) => (d.ok ? [d.value] : []));
    const failures = events.filter((e) => e.kind === 'auth' && e.outcome === 'failure');
    expect(failures).toHaveLength(failedLines);
    expect(failedLines).toBe(524);
    expect(events.filter((e) => e.kind === 'auth' && e.outcome === 'success')).toHaveLength(1);
    const codes = new Set([...decoded.values()].map(reasonCode));
    expect([...codes].sort()).toEqual(['not-an-event', 'ok']);
    // Every connection closes once at most: no sshd process has two close events.
    const closes = events.filter((e) => e.kind === 'session').map((e) => e.sessionId);
    expect(new Set(closes).size).toBe(closes.length);
    expect(closes.length).toBeGreaterThan(500);
  });
});

describe('sshd syslog decoder: time', () => {
  const line = (stamp: string, pid = 7) => `${stamp} host sshd[${pid}]: Failed password for root from 10.0.0.1 port 22 ssh2`;

  it('advances the year when the month goes back (Dec -> Jan)', () => {
    const d = createSshdDecoder({ year: 2016 });
    const a = expectEvent(d.decode(record(line('Dec 31 23:59:59'), 1)));
    const b = expectEvent(d.decode(record(line('Jan  1 00:00:01'), 2)));
    expect(a.ts).toBe(Date.UTC(2016, 11, 31, 23, 59, 59));
    expect(b.ts - a.ts).toBe(2000);
  });

  it('reads the clock in the zone it is told', () => {
    const d = createSshdDecoder({ year: 2016, utcOffsetMinutes: 480 });
    expect(expectEvent(d.decode(record(line('Mar  5 08:00:00'), 1))).ts).toBe(Date.UTC(2016, 2, 5, 0, 0, 0));
  });

  it('refuses a date that does not exist in the year', () => {
    expect(reasonCode(createSshdDecoder({ year: 2015 }).decode(record(line('Feb 29 10:00:00'), 1)))).toBe('bad-timestamp');
    expect(reasonCode(createSshdDecoder({ year: 2016 }).decode(record(line('Feb 29 10:00:00'), 1)))).toBe('ok');
  });

  it('needs a year, and refuses settings it cannot use', () => {
    expect(() => createSshdDecoder({} as { year: number })).toThrow(ConfigError);
    expect(() => createSshdDecoder({ year: 17 })).toThrow(/4-digit year/);
    expect(() => createSshdDecoder({ year: 2017, utcOffsetMinutes: 2000 })).toThrow(ConfigError);
    expect(() => createSshdDecoder({ year: 2017, maxTrackedProcesses: 0 })).toThrow(ConfigError);
  });
});

describe('sshd syslog decoder: processes and bad lines', () => {
  const at = (stamp: string, pid: number, message: string) => `Dec 10 ${stamp} h sshd[${pid}]: ${message}`;

  it('takes a close of a reused pid as a new connection, and a repeated close as no event', () => {
    const d = createSshdDecoder({ year: 2017 });
    const decode = (text: string, n: number) => d.decode(record(text, n));
    decode(at('10:00:00', 5, 'Failed password for root from 10.0.0.1 port 22 ssh2'), 1);
    expect(expectEvent(decode(at('10:00:03', 5, 'Connection closed by 10.0.0.1 [preauth]'), 2))).toMatchObject({ durationMs: 3000 });
    expect(reasonCode(decode(at('10:00:04', 5, 'Received disconnect from 10.0.0.1: 11: Bye Bye [preauth]'), 3))).toBe('not-an-event');
    // 10:02:03 is 120 s after the close, beyond the reuse gap: the pid serves a new connection.
    expect(PROCESS_REUSE_GAP_MS).toBeLessThan(120_000);
    decode(at('10:02:03', 5, 'Failed password for root from 10.0.0.2 port 22 ssh2'), 4);
    expect(expectEvent(decode(at('10:02:10', 5, 'Connection closed by 10.0.0.2 [preauth]'), 5))).toMatchObject({ srcIp: '10.0.0.2', durationMs: 7000 });
  });

  it('reads newer OpenSSH close formats with ports', () => {
    const d = createSshdDecoder({ year: 2020 });
    expect(expectEvent(d.decode(record(at('10:00:00', 9, 'Received disconnect from 10.1.1.1 port 4242:11: Bye Bye [preauth]'), 1)))).toMatchObject({ srcIp: '10.1.1.1', sourceEventType: 'sshd.received_disconnect' });
    expect(expectEvent(d.decode(record(at('10:00:00', 10, 'Disconnected from authenticating user root 10.1.1.2 port 4243 [preauth]'), 2)))).toMatchObject({ srcIp: '10.1.1.2', sourceEventType: 'sshd.disconnected' });
    expect(expectEvent(d.decode(record(at('10:00:00', 11, 'Connection closed by invalid user admin 10.1.1.3 port 4244 [preauth]'), 3)))).toMatchObject({ srcIp: '10.1.1.3' });
  });

  it('forgets the oldest processes beyond its bound', () => {
    const d = createSshdDecoder({ year: 2017, maxTrackedProcesses: 2 });
    [1, 2, 3].forEach((pid, i) => d.decode(record(at('10:00:00', pid, `Failed password for root from 10.0.0.${pid} port 22 ssh2`), i + 1)));
    expect(reasonCode(d.decode(record(at('10:00:05', 1, 'fatal: Read from socket failed: Connection reset by peer [preauth]'), 4)))).toBe('unknown-source');
    expect(expectEvent(d.decode(record(at('10:00:05', 3, 'fatal: Read from socket failed: Connection reset by peer [preauth]'), 5)))).toMatchObject({ srcIp: '10.0.0.3', durationMs: 5000 });
  });

  it.each([
    ['no syslog header', 'garbage', 'bad-syslog'],
    ['an unknown month', 'Foo 10 06:55:46 LabSZ sshd[1]: Failed password for root from 10.0.0.1 port 22 ssh2', 'bad-syslog'],
    ['another program (the old sshd(pam_unix) ident of Linux_2k.log)', linux[0]!, 'not-sshd'],
    ['an address that is none', 'Dec 10 06:55:48 LabSZ sshd[1]: Failed password for root from 999.1.1.1 port 22 ssh2', 'bad-ip'],
    ['a close whose process never named its address', 'Dec 10 06:55:48 LabSZ sshd[1]: fatal: Write failed: Connection reset by peer [preauth]', 'unknown-source'],
  ])('refuses %s with a stable reason code', (_what, text, code) => {
    const d = createSshdDecoder({ year: YEAR }).decode(record(text, 4, 'auth.log'));
    expect(reasonCode(d)).toBe(code);
    expect(!d.ok && d.raw).toBe(text);
  });

  it('refuses an oversize line', () => {
    const d = createSshdDecoder({ year: YEAR, maxLineBytes: 50 }).decode(record(openssh[5]!, 6));
    expect(!d.ok && d.reason).toMatch(/^oversize: /);
  });
});

describe('looksLikeSyslog', () => {
  it('recognises BSD syslog lines of any program', () => {
    expect(looksLikeSyslog(openssh[0]!)).toBe(true);
    expect(looksLikeSyslog(linux[0]!)).toBe(true);
    expect(looksLikeSyslog('Dec  1 00:00:00 h cron[5]: (root) CMD (true)')).toBe(true);
  });

  it('does not claim JSON, CSV or other text', () => {
    expect(looksLikeSyslog('{"eventid": "cowrie.session.connect"}')).toBe(false);
    expect(looksLikeSyslog('id,Flow ID,Src IP,Src Port')).toBe(false);
    expect(looksLikeSyslog('Foo 10 06:55:46 LabSZ sshd[1]: x')).toBe(false);
  });
});
