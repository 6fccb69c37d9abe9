import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors/vigil-error.js';
import { detectFormat } from '../../src/sources/detect-format.js';
import { openFileSource } from '../../src/sources/file-source.js';
import { openInput } from '../../src/sources/open-input.js';
import type { RawRecord } from '../../src/sources/record.js';
import { drain, headLines, ORIGINAL_CSV, TRAIN_CSV } from './helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'vigil-file-source-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const write = (name: string, data: string | Buffer) => {
  const path = join(tmp, name);
  writeFileSync(path, data);
  return path;
};

// 200 real rows of the corrected release (CRLF line ends, as train.csv has them), the whole
// original-format head (LF), and the corrected rows again as JSON lines (NaN as null, as a
// JSON producer must write it).
const correctedText = headLines(TRAIN_CSV, 201).join('');
const originalText = readFileSync(ORIGINAL_CSV, 'utf8');
const correctedPlain = write('corrected.csv', correctedText);
const originalPlain = write('original.csv', originalText);

async function jsonlText(): Promise<string> {
  const { events } = await drain(correctedPlain);
  return events.map((e) => JSON.stringify(e.event, (_k, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? null : v))).join('\n') + '\n';
}

describe('detectFormat', () => {
  it('tells the three formats apart by their first line', () => {
    expect(detectFormat(correctedText.slice(0, correctedText.indexOf('\n')))).toBe('cicids-csv-corrected');
    expect(detectFormat(originalText.slice(0, originalText.indexOf('\n')))).toBe('cicids-csv-original');
    expect(detectFormat('{"eventId":"a"}')).toBe('jsonl');
    expect(detectFormat('\uFEFF  {"eventId":"a"}')).toBe('jsonl');
  });

  it('names what it saw when it knows none', () => {
    expect(() => detectFormat('ts,src,dst,bytes')).toThrow(InputError);
    expect(() => detectFormat('ts,src,dst,bytes')).toThrow(/"ts,src,dst,bytes"/);
  });
});

describe('openFileSource', () => {
  it.each([
    ['corrected CSV', () => correctedText, 'cicids-csv-corrected', 200],
    ['original CSV', () => originalText, 'cicids-csv-original', 299],
    ['JSON lines', jsonlText, 'jsonl', 200],
  ])('reads gzip %s like the plain file, whatever its name', async (_what, text, format, count) => {
    const plain = write(`${format}.plain`, await text());
    const gzipped = write(`${format}.data`, gzipSync(await text())); // no .gz: found by magic bytes
    const a = await drain(plain);
    const b = await drain(gzipped);
    expect(a.format).toBe(format);
    expect(b.format).toBe(format);
    expect(a.bad).toEqual([]);
    expect(a.events).toHaveLength(count);
    expect(b.events).toEqual(a.events);
    expect((await openInput(gzipped)).gzip).toBe(true);
  });

  it('reads the JSON-lines first line as a record, but not a CSV header', async () => {
    const jsonl = await drain(write('first.jsonl', await jsonlText()));
    expect(jsonl.events[0]!.line).toBe(1);
    const csv = await drain(correctedPlain);
    expect(csv.events[0]!.line).toBe(2);
    expect(csv.events[0]!.event).toEqual(jsonl.events[0]!.event);
  });

  it('reads concatenated gzip members (cat a.gz b.gz)', async () => {
    const lines = (await jsonlText()).split('\n');
    const path = write('two-members.jsonl.gz', Buffer.concat([gzipSync(lines.slice(0, 50).join('\n') + '\n'), gzipSync(lines.slice(50).join('\n'))]));
    expect((await drain(path)).events).toHaveLength(200);
  });

  it('reads CRLF files, a BOM and blank lines, keeping file line numbers', async () => {
    const [header, a, b] = correctedText.split(/\r?\n/);
    const path = write('crlf.csv', `\uFEFF${header}\r\n${a}\r\n\r\n${b}\r\n\r\n`);
    const { events, bad } = await drain(path);
    expect(bad).toEqual([]);
    expect(events.map((e) => e.line)).toEqual([2, 4]);
  });

  it('reads stdin, and a slow stdin still yields a batch before it ends', async () => {
    const stdin = new PassThrough();
    const [header, ...rows] = correctedText.split('\n');
    stdin.write(`${header}\n${rows[0]}\n${rows[1]}\n`);
    const { source, decoder, format } = await openFileSource('-', { stdin });
    expect(format).toBe('cicids-csv-corrected');
    const batches = source.batches({ maxSize: 100, maxWaitMs: 20 })[Symbol.asyncIterator]();
    // The writer is still open: the first two rows must arrive on the timer alone.
    const first = (await batches.next()).value as RawRecord[];
    expect(first.map((r) => r.position)).toEqual([
      { kind: 'file', file: '<stdin>', line: 2 },
      { kind: 'file', file: '<stdin>', line: 3 },
    ]);
    expect(decoder.decode(first[0]!).ok).toBe(true);
    stdin.end(`${rows[2]}\n`);
    const second = (await batches.next()).value as RawRecord[];
    expect(second.map((r) => (r.position as { line: number }).line)).toEqual([4]);
    expect((await batches.next()).done).toBe(true);
  });

  it('reads gzip from stdin', async () => {
    const stdin = new PassThrough();
    stdin.end(gzipSync(originalText));
    const { events, format } = await drain('-', { stdin });
    expect(format).toBe('cicids-csv-original');
    expect(events).toHaveLength(299);
  });

  it('keeps the last durable line', async () => {
    const { source } = await openFileSource(correctedPlain);
    expect(source.durableLine).toBe(0);
    const it = source.batches({ maxSize: 10, maxWaitMs: 1000 })[Symbol.asyncIterator]();
    const batch = (await it.next()).value!;
    source.markDurable(batch.at(-1)!.position);
    expect(source.durableLine).toBe(11);
    source.markDurable(batch[0]!.position); // acknowledgements never move it back
    expect(source.durableLine).toBe(11);
    expect(() => source.markDurable({ kind: 'file', file: 'other.csv', line: 99 })).toThrow();
    await source.close();
    expect((await it.next()).done).toBe(true);
  });

  it.each([
    ['a missing file', () => join(tmp, 'nope.csv'), /cannot open input .*nope\.csv: ENOENT/],
    ['a directory', () => tmp, /is a directory/],
    ['an empty file', () => write('empty.csv', '\n\n'), /is empty/],
    ['an unknown format', () => write('other.txt', 'hello world\n'), /unknown input format: the first line is "hello world"/],
    ['a header without needed columns', () => write('thin.csv', 'Src IP,Dst IP\n1.2.3.4,5.6.7.8\n'), /lacks column\(s\) "Src Port"/],
    ['an oversize first line', () => write('huge.jsonl', `{"a":"${'x'.repeat(2000)}"}\n`), /first line is 2008 bytes, over the 1000-byte limit/],
  ])('refuses %s with an InputError', async (_what, path, message) => {
    const opening = openFileSource(path(), { maxLineBytes: 1000 });
    await expect(opening).rejects.toBeInstanceOf(InputError);
    await expect(openFileSource(path(), { maxLineBytes: 1000 })).rejects.toThrow(message);
  });

  it('reports a truncated gzip as an InputError while reading', async () => {
    const whole = gzipSync(originalText);
    const path = write('cut.csv.gz', whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(drain(path)).rejects.toThrow(InputError);
  });
});
