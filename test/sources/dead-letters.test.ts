import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDlqWriter, reasonCode } from '../../src/sinks/dlq-file.js';
import { openFileSource } from '../../src/sources/file-source.js';
import { FIXTURES, headLines, TRAIN_CSV } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'vigil-dlq-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface DlqLine {
  reason: string;
  code: string;
  file?: string;
  line?: number;
  topic?: string;
  partition?: number;
  offset?: string;
  raw: string;
  at: string;
}
const readDlq = (path: string): DlqLine[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as DlqLine);

/** Runs an input through source, decoder and DLQ as the topology does: DLQ before ack. */
async function run(input: string, dlqPath: string) {
  const dlq = createDlqWriter(dlqPath);
  const { source, decoder } = await openFileSource(input);
  const goodLines: number[] = [];
  for await (const batch of source.batches({ maxSize: 2, maxWaitMs: 1000 })) {
    const bad = [];
    for (const r of batch) {
      const d = decoder.decode(r);
      if (d.ok) goodLines.push((d.position as { line: number }).line);
      else bad.push({ position: d.position, reason: d.reason, raw: d.raw });
    }
    await dlq.write(bad);
    source.markDurable(batch.at(-1)!.position);
  }
  await dlq.close();
  return { goodLines, dlq, durableLine: source.durableLine };
}

describe('bad input goes to the dead-letter file, good lines around it still come through', () => {
  it.each([
    ['column-count.csv', 'column-count', 'expected 91 cells, got 90'],
    ['non-numeric.csv', 'non-numeric', 'Flow IAT Mean = "12.5.3"'],
    ['missing-timestamp.csv', 'bad-timestamp', 'Timestamp is empty'],
    ['bad-timestamp.csv', 'bad-timestamp', '"7/7/2017 25:30" is not D/M/YYYY H:MM[:SS]'],
    ['unknown-protocol.csv', 'unknown-protocol', 'Protocol "99"'],
    ['bad-port.csv', 'bad-port', 'Dst Port "70000"'],
    ['bad-json.jsonl', 'bad-json', ''],
    ['missing-feature.jsonl', 'missing-feature', 'flow_iat_std'],
  ])('%s -> %s', async (fixture, code, detail) => {
    const input = join(FIXTURES, 'dlq', fixture);
    const dlqPath = join(tmp, `${fixture}.dlq.jsonl`);
    const { goodLines, dlq, durableLine } = await run(input, dlqPath);
    const firstRecordLine = fixture.endsWith('.jsonl') ? 1 : 2;
    const badLine = firstRecordLine + 1;
    expect(goodLines).toEqual([firstRecordLine, firstRecordLine + 2]);
    expect(durableLine).toBe(firstRecordLine + 2);

    const [entry, ...more] = readDlq(dlqPath);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ code, file: input, line: badLine });
    expect(entry!.reason.startsWith(`${code}: `)).toBe(true);
    expect(entry!.reason).toContain(detail);
    // The CSV fixtures keep train.csv's CRLF line ends; raw is the line without its terminator.
    expect(entry!.raw).toBe(readFileSync(input, 'utf8').split('\n')[badLine - 1]!.replace(/\r$/, ''));
    expect(Number.isNaN(Date.parse(entry!.at))).toBe(false);
    expect(dlq.counts()).toEqual({ [code]: 1 });
    expect(dlq.total).toBe(1);
  });

  it('over-1-MiB line -> oversize, with only its head kept', async () => {
    const [header, a, b, c] = headLines(TRAIN_CSV, 4).map((l) => l.trimEnd());
    const huge = `${b},${'9'.repeat(1536 * 1024)}`;
    const input = join(tmp, 'oversize.csv');
    writeFileSync(input, [header, a, huge, c].join('\n') + '\n');
    const dlqPath = join(tmp, 'oversize.dlq.jsonl');
    const { goodLines, dlq } = await run(input, dlqPath);
    expect(goodLines).toEqual([2, 4]);
    const [entry, ...more] = readDlq(dlqPath);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ code: 'oversize', file: input, line: 3, reason: `oversize: line of ${Buffer.byteLength(huge)} bytes exceeds the 1048576-byte limit` });
    expect(entry!.raw.length).toBeLessThanOrEqual(1024);
    expect(huge.startsWith(entry!.raw)).toBe(true);
    expect(dlq.counts()).toEqual({ oversize: 1 });
  });
});

describe('createDlqWriter', () => {
  const fileBad = (reason: string, line: number) => ({ position: { kind: 'file' as const, file: 'in.csv', line }, reason, raw: `raw ${line}` });

  it('has the lines on disk when write() resolves, and counts per code', async () => {
    const path = join(tmp, 'nested', 'dir', 'dlq.jsonl'); // parent directories are created
    const dlq = createDlqWriter(path, { now: () => new Date('2024-05-01T10:00:00Z') });
    await dlq.write([fileBad('non-numeric: Flow Duration = "x"', 3), fileBad('bad-timestamp: Timestamp is empty', 9)]);
    expect(readDlq(path)).toEqual([
      { reason: 'non-numeric: Flow Duration = "x"', code: 'non-numeric', file: 'in.csv', line: 3, raw: 'raw 3', at: '2024-05-01T10:00:00.000Z' },
      { reason: 'bad-timestamp: Timestamp is empty', code: 'bad-timestamp', file: 'in.csv', line: 9, raw: 'raw 9', at: '2024-05-01T10:00:00.000Z' },
    ]);
    await dlq.write([fileBad('non-numeric: Idle Max = "?"', 12)]);
    await dlq.flush();
    expect(readDlq(path)).toHaveLength(3);
    expect(dlq.counts()).toEqual({ 'non-numeric': 2, 'bad-timestamp': 1 });
    expect(dlq.total).toBe(3);
    await dlq.close();
    await expect(dlq.write([fileBad('bad-json: x', 1)])).rejects.toThrow(/closed/);
  });

  it('appends to an existing file instead of replacing it', async () => {
    const path = join(tmp, 'append.jsonl');
    for (const line of [1, 2]) {
      const dlq = createDlqWriter(path);
      await dlq.write([fileBad('bad-json: x', line)]);
      await dlq.close();
    }
    expect(readDlq(path).map((e) => e.line)).toEqual([1, 2]);
  });

  it('leaves the file it names, empty, when nothing was bad', async () => {
    const path = join(tmp, 'none', 'clean.jsonl');
    const dlq = createDlqWriter(path);
    await dlq.write([]);
    await dlq.close();
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('writes Kafka positions as topic, partition and offset', async () => {
    const path = join(tmp, 'kafka.jsonl');
    const dlq = createDlqWriter(path);
    await dlq.write([{ position: { kind: 'kafka', topic: 'flows', partition: 2, offset: '1234' }, reason: 'bad-json: Unexpected token', raw: '{' }]);
    await dlq.close();
    const [entry] = readDlq(path);
    expect(entry).toMatchObject({ code: 'bad-json', topic: 'flows', partition: 2, offset: '1234', raw: '{' });
    expect(entry).not.toHaveProperty('file');
  });

  it('only counts when given no path', async () => {
    const dlq = createDlqWriter(null);
    await dlq.write([fileBad('oversize: line of 2000000 bytes', 4)]);
    await dlq.close();
    expect(dlq.counts()).toEqual({ oversize: 1 });
    expect(dlq.path).toBeNull();
    expect(existsSync(join(tmp, 'null'))).toBe(false);
  });

  it('fails flush() once a write failed, so lost dead letters are not silent', async () => {
    const dlq = createDlqWriter(join(tmp, 'no-such', '\0bad'));
    await expect(dlq.write([fileBad('bad-json: x', 1)])).rejects.toThrow();
    await expect(dlq.flush()).rejects.toThrow();
  });

  it('takes the code from the text before the first colon', () => {
    expect(reasonCode('column-count: expected 91 cells, got 90')).toBe('column-count');
    expect(reasonCode('schema: srcIp: 1 is not string')).toBe('schema');
    expect(reasonCode('Something odd happened')).toBe('other');
  });
});
