import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../../src/events/security-events.js';
import { AuthEventType, CommandEventType, SessionEventType } from '../../src/events/security-events.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { createCowrieDecoder, looksLikeCowrieJson } from '../../src/sources/cowrie-json.js';
import type { Decoded } from '../../src/sources/record.js';
import { record } from './helpers.js';

const COWRIE_DIR = resolve(PACKAGE_ROOT, '../shared/data/cowrie');
const day = (date: string): string[] => readFileSync(resolve(COWRIE_DIR, `cowrie.json.${date}`), 'utf8').split('\n');
const may06 = day('2018-05-06');

const decoder = createCowrieDecoder();
const decode = (text: string, line = 1) => decoder.decode(record(text, line, 'cowrie.json'));

function expectEvent(d: Decoded<SecurityEvent>): SecurityEvent {
  if (!d.ok) throw new Error(`expected an event, got bad input: ${d.reason}`);
  return d.value;
}
/** Line n (1-based) of a day file, decoded. */
const lineOf = (lines: string[], n: number) => expectEvent(decode(lines[n - 1]!, n));

describe('Cowrie JSON decoder on real lines', () => {
  // 2018-05-06 lines 10-23: one whole interactive session (ef410359268d) of 88.223.26.58.
  it('reads a connect: addresses, ports, protocol, time and a stable id', () => {
    expect(lineOf(may06, 10)).toEqual({
      kind: 'session',
      eventId: 'ef410359268d|2018-05-06T17:44:48.570502Z|cowrie.session.connect',
      srcIp: '88.223.26.58',
      srcPort: 52581,
      dstIp: '172.17.0.3',
      dstPort: 2222,
      ts: Date.UTC(2018, 4, 6, 17, 44, 48, 570),
      sessionId: 'ef410359268d',
      sensor: '920497a79896',
      sourceEventType: 'cowrie.session.connect',
      phase: 'connect',
      durationMs: null,
      clientVersion: null,
      protocol: 'ssh',
      target: null,
    });
  });

  it('reads the client version, the login, commands, the tty noise and the close of that session', () => {
    expect(lineOf(may06, 11)).toMatchObject({ phase: 'client_version', clientVersion: 'SSH-2.0-OpenSSH_7.7', ts: Date.UTC(2018, 4, 6, 17, 44, 48, 588) });
    expect(lineOf(may06, 12)).toMatchObject({
      kind: 'auth',
      outcome: 'success',
      username: 'root',
      passwordPresent: true,
      method: 'password',
      invalidUser: null,
      attempts: 1,
      ts: Date.UTC(2018, 4, 6, 17, 44, 51, 165),
    });
    expect(lineOf(may06, 13)).toMatchObject({ kind: 'session', phase: 'other', sourceEventType: 'cowrie.client.size' });
    expect(lineOf(may06, 18)).toMatchObject({ kind: 'command', action: 'input', input: 'ls', ts: Date.UTC(2018, 4, 6, 17, 44, 57, 757) });
    expect(lineOf(may06, 19)).toMatchObject({ kind: 'command', action: 'input', input: 'find /' });
    expect(lineOf(may06, 20)).toMatchObject({ kind: 'command', action: 'failed', input: 'find /' });
    const closed = lineOf(may06, 23);
    expect(closed).toMatchObject({ kind: 'session', phase: 'closed', srcIp: '88.223.26.58', sessionId: 'ef410359268d' });
    expect((closed as { durationMs: number }).durationMs).toBeCloseTo(18562.2341632843, 6);
  });

  it('keeps whether a password was given, never the password', () => {
    // 2018-05-07 line 52: "login attempt [admin/default] failed".
    const failed = lineOf(day('2018-05-07'), 52);
    expect(failed).toMatchObject({ kind: 'auth', outcome: 'failure', username: 'admin', passwordPresent: true });
    expect(JSON.stringify(failed)).not.toContain('default');
    // 2018-05-06 line 183: empty user name and password.
    expect(lineOf(may06, 183)).toMatchObject({ kind: 'auth', outcome: 'failure', username: '', passwordPresent: false });
  });

  it('reads port-forward requests and downloads with their target', () => {
    expect(lineOf(day('2018-05-09'), 1011)).toMatchObject({ kind: 'session', phase: 'tunnel', target: '172.217.21.174:80', srcIp: '195.3.147.49', srcPort: null });
    expect(lineOf(day('2018-05-19'), 1536)).toMatchObject({ kind: 'session', phase: 'download', target: '/dev/null', srcIp: '111.73.46.18' });
  });

  it('decodes whole days: every line an event of its schema, ids unique and the same on a re-read', () => {
    const lines = ['2018-05-06', '2018-05-07', '2018-05-08'].flatMap(day).filter((l) => l.trim() !== '');
    const first = lines.map((l, i) => expectEvent(decode(l, i + 1)));
    const again = lines.map((l, i) => expectEvent(createCowrieDecoder().decode(record(l, i + 1, 'other-name.json'))));
    expect(new Set(first.map((e) => e.eventId)).size).toBe(lines.length);
    expect(again.map((e) => e.eventId)).toEqual(first.map((e) => e.eventId));
    const types = { auth: AuthEventType, command: CommandEventType, session: SessionEventType };
    for (const e of first) expect(types[e.kind].isValid(e)).toBe(true);
    // Same counts as a grep of the three files.
    const grep = (id: string) => lines.filter((l) => l.includes(`"eventid": "${id}"`)).length;
    expect(first.filter((e) => e.kind === 'auth' && e.outcome === 'failure')).toHaveLength(grep('cowrie.login.failed'));
    expect(first.filter((e) => e.kind === 'session' && e.phase === 'closed')).toHaveLength(grep('cowrie.session.closed'));
    expect(grep('cowrie.session.closed')).toBeGreaterThan(100);
  });
});

describe('Cowrie JSON decoder on bad lines', () => {
  const good = JSON.parse(may06[22]!) as Record<string, unknown>; // the session.closed of line 23
  const withFields = (fields: Record<string, unknown>) => JSON.stringify({ ...good, ...fields });
  const without = (key: string) => {
    const { [key]: _drop, ...rest } = good;
    return JSON.stringify(rest);
  };

  it.each([
    ['not JSON', '{"eventid": "cowrie.session.closed", ', 'bad-json'],
    ['a JSON array', '[1, 2]', 'bad-json'],
    ['a JSON string', '"cowrie.session.closed"', 'bad-json'],
    ['no eventid', without('eventid'), 'unknown-event'],
    ['a non-Cowrie eventid', withFields({ eventid: 'kippo.session.closed' }), 'unknown-event'],
    ['no session', without('session'), 'missing-field'],
    ['no timestamp', without('timestamp'), 'missing-field'],
    ['a timestamp that is no date', withFields({ timestamp: '2018-13-40T00:00:00Z' }), 'bad-timestamp'],
    ['no src_ip', without('src_ip'), 'missing-field'],
    ['a src_ip that is no address', withFields({ src_ip: '88.223.26' }), 'bad-ip'],
    ['a negative duration', withFields({ duration: -1 }), 'bad-field'],
    ['a duration that is text', withFields({ duration: '18' }), 'bad-field'],
    ['a command without input', withFields({ eventid: 'cowrie.command.input' }), 'missing-field'],
    ['a user name that is a number', withFields({ eventid: 'cowrie.login.failed', username: 7 }), 'bad-field'],
    ['a connect with port 70000', withFields({ eventid: 'cowrie.session.connect', src_port: 70000 }), 'bad-field'],
  ])('refuses %s with a stable reason code', (_what, text, code) => {
    const d = decode(text, 9);
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.reason.split(':')[0]).toBe(code);
    expect(d.raw).toBe(text);
    expect(d.position).toEqual({ kind: 'file', file: 'cowrie.json', line: 9 });
  });

  it('refuses an oversize line without parsing it', () => {
    const d = createCowrieDecoder({ maxLineBytes: 100 }).decode(record(may06[22]!, 3, 'cowrie.json'));
    expect(!d.ok && d.reason).toMatch(/^oversize: line of \d+ bytes exceeds the 100-byte limit/);
  });

  it('takes an unknown cowrie.* event as session "other", keeping its name', () => {
    expect(expectEvent(decode(withFields({ eventid: 'cowrie.client.kex' })))).toMatchObject({ kind: 'session', phase: 'other', sourceEventType: 'cowrie.client.kex' });
  });
});

describe('looksLikeCowrieJson', () => {
  it('recognises Cowrie lines by eventid, whatever the key order', () => {
    expect(looksLikeCowrieJson(may06[0]!)).toBe(true);
    expect(looksLikeCowrieJson(may06[1]!)).toBe(true); // client.version: eventid is not the first key
    expect(looksLikeCowrieJson('\uFEFF{"eventid":"cowrie.login.failed"}')).toBe(true);
  });

  it('does not claim flow JSON, CSV or a broken line', () => {
    expect(looksLikeCowrieJson('{"eventId":"x","srcIp":"10.0.0.1","ts":0,"features":{}}')).toBe(false);
    expect(looksLikeCowrieJson('{"eventid":"kippo.session.connect"}')).toBe(false);
    expect(looksLikeCowrieJson('id,Flow ID,Src IP')).toBe(false);
    expect(looksLikeCowrieJson('{"eventid": "cowrie.session.connect", ')).toBe(false);
  });
});
