import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isSecurityEvent } from '../../src/events/security-events.js';
import { detectFormat } from '../../src/sources/detect-format.js';
import { NOT_A_FLOW, openEventSource, openFileSource } from '../../src/sources/file-source.js';
import type { RawRecord } from '../../src/sources/record.js';
import { decodeAll, SYSLOG_YEAR, writeV2Inputs, type V2Inputs } from './v2-fixtures.js';

let inputs: V2Inputs;
const firstLine = (path: string) => readFileSync(path, 'utf8').split('\n')[0]!;

beforeAll(() => {
  inputs = writeV2Inputs();
});

describe('format detection of the v2 inputs', () => {
  it('tells Cowrie JSON from flow JSON lines, and syslog from CSV', () => {
    expect(detectFormat(firstLine(inputs.cowrie))).toBe('cowrie-json');
    expect(detectFormat('{"eventId":"a","srcIp":"10.0.0.1"}')).toBe('jsonl');
    expect(detectFormat(firstLine(inputs.sshd))).toBe('sshd-syslog');
    // A syslog message with commas is still syslog, not a CSV header.
    expect(detectFormat('Dec 10 06:55:46 LabSZ sshd[24200]: Received disconnect from 1.2.3.4: 11: Bye, bye [preauth]')).toBe('sshd-syslog');
    expect(detectFormat(firstLine(inputs.csv))).toBe('cicids-csv-corrected');
  });
});

describe('openEventSource', () => {
  it('reads the first Cowrie and syslog line as a record, like JSON lines', async () => {
    // The Cowrie head opens with a session.connect; the OpenSSH head with a reverse-DNS warning (no event).
    for (const [path, firstIsEvent] of [[inputs.cowrie, true], [inputs.sshd, false]] as const) {
      const { source, decoder } = await openEventSource(path, { syslogYear: SYSLOG_YEAR });
      const first = (await source.batches({ maxSize: 4, maxWaitMs: 100 })[Symbol.asyncIterator]().next()).value as RawRecord[];
      expect(first[0]!.position).toEqual({ kind: 'file', file: path, line: 1 });
      const decoded = decoder.decode(first[0]!);
      expect(decoded.ok).toBe(firstIsEvent);
      if (!decoded.ok) expect(decoded.reason).toMatch(/^not-an-event/);
      await source.close();
    }
  });

  it('dates syslog lines in syslogYear, and in the current UTC year by default', async () => {
    const given = await decodeAll(inputs.sshd, { syslogYear: SYSLOG_YEAR });
    expect(given.format).toBe('sshd-syslog');
    expect(new Date(given.events[0]!.ts).getUTCFullYear()).toBe(SYSLOG_YEAR);
    const byDefault = await decodeAll(inputs.sshd, {});
    expect(new Date(byDefault.events[0]!.ts).getUTCFullYear()).toBe(new Date().getUTCFullYear());
    const cowrie = await decodeAll(inputs.cowrie);
    expect(cowrie.format).toBe('cowrie-json');
    expect(cowrie.events.every(isSecurityEvent)).toBe(true);
  });
});

describe('the flow-only path (openFileSource, used by detect)', () => {
  it('dead-letters security events as not-a-flow and passes flows', async () => {
    const { source, decoder } = await openFileSource(inputs.cowrie);
    const reasons: string[] = [];
    let flows = 0;
    for await (const records of source.batches({ maxSize: 512, maxWaitMs: 1000 })) {
      for (const r of records) {
        const d = decoder.decode(r);
        if (d.ok) flows++;
        else reasons.push(d.reason);
      }
    }
    expect(flows).toBe(0);
    const events = (await decodeAll(inputs.cowrie)).events;
    const notFlows = reasons.filter((r) => r.startsWith(`${NOT_A_FLOW}: a `));
    expect(notFlows).toHaveLength(events.length);
    expect(notFlows[0]).toMatch(/^not-a-flow: a session event of a cowrie-json input; .*vigil features/);

    const csv = await openFileSource(inputs.csv);
    let ok = 0;
    for await (const records of csv.source.batches({ maxSize: 512, maxWaitMs: 1000 })) for (const r of records) if (csv.decoder.decode(r).ok) ok++;
    expect(ok).toBe(209);
  });
});
