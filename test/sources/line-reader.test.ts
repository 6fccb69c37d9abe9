import { describe, expect, it } from 'vitest';
import { readLineChunks, readLines, type Line, type LineReaderOptions } from '../../src/sources/line-reader.js';

async function* chunksOf(...parts: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
}

async function collect(input: AsyncIterable<Buffer>, options?: LineReaderOptions): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of readLines(input, options)) out.push(l);
  return out;
}

const texts = (lines: Line[]) => lines.map((l) => l.text);

describe('readLines', () => {
  it('strips \\r\\n, also when \\r and \\n arrive in different chunks', async () => {
    const lines = await collect(chunksOf('a,b\r\nc,d\r', '\ne,f\r\n'));
    expect(texts(lines)).toEqual(['a,b', 'c,d', 'e,f']);
    expect(lines.map((l) => l.byteLength)).toEqual([3, 3, 3]);
    expect(lines.map((l) => l.line)).toEqual([1, 2, 3]);
  });

  it('keeps a lone \\r inside a line', async () => {
    expect(texts(await collect(chunksOf('a\rb\n')))).toEqual(['a\rb']);
  });

  it('yields a last line without a trailing newline', async () => {
    const lines = await collect(chunksOf('first\nsec', 'ond'));
    expect(texts(lines)).toEqual(['first', 'second']);
    expect(lines[1]).toMatchObject({ line: 2, byteLength: 6, oversize: false });
  });

  it('counts empty lines so later line numbers match the file', async () => {
    const lines = await collect(chunksOf('a\n\n\nb\n'));
    expect(lines.map((l) => [l.line, l.text])).toEqual([[1, 'a'], [2, ''], [3, ''], [4, 'b']]);
  });

  it('decodes UTF-8 characters split across chunks', async () => {
    const text = 'Web Attack – Brute Force 😀 é\n';
    const bytes = Buffer.from(text, 'utf8');
    // Split inside the 3-byte dash, inside the 4-byte emoji (twice) and inside the 2-byte é.
    const dash = bytes.indexOf(Buffer.from('–')) + 1;
    const emoji = bytes.indexOf(Buffer.from('😀'));
    const eAcute = bytes.indexOf(Buffer.from('é')) + 1;
    const cuts = [0, dash, emoji + 1, emoji + 3, eAcute, bytes.length];
    const parts = cuts.slice(1).map((end, i) => bytes.subarray(cuts[i], end));
    const lines = await collect(chunksOf(...parts));
    expect(texts(lines)).toEqual([text.trimEnd()]);
    expect(lines[0]!.byteLength).toBe(bytes.length - 1);
  });

  it('turns a line over the cap into one oversize record with its head and true length', async () => {
    const long = 'x'.repeat(5000);
    const lines = await collect(chunksOf('ok1\n', long.slice(0, 1000), long.slice(1000), '\r\nok2\n'), { maxLineBytes: 100, headBytes: 16 });
    expect(lines.map((l) => [l.line, l.oversize, l.byteLength])).toEqual([[1, false, 3], [2, true, 5000], [3, false, 3]]);
    expect(lines[1]!.text).toBe('x'.repeat(16));
    expect(lines[2]!.text).toBe('ok2');
  });

  it('accepts a line of exactly the cap, also with \\r\\n, and rejects one byte more', async () => {
    const lines = await collect(chunksOf(`${'a'.repeat(10)}\r\n${'b'.repeat(11)}\n${'c'.repeat(11)}`), { maxLineBytes: 10, headBytes: 4 });
    expect(lines.map((l) => [l.oversize, l.byteLength, l.text])).toEqual([
      [false, 10, 'a'.repeat(10)],
      [true, 11, 'bbbb'],
      [true, 11, 'cccc'],
    ]);
  });

  it('does not buffer an oversize line past the cap', async () => {
    const stats = { peakBufferedBytes: 0 };
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const total = 200; // 12.5 MiB in one line, cap 1 MiB
    async function* huge(): AsyncGenerator<Buffer> {
      yield Buffer.from('before\n');
      for (let i = 0; i < total; i++) yield chunk;
      yield Buffer.from('\nafter\n');
    }
    const lines = await collect(huge(), { stats });
    expect(lines.map((l) => [l.text.length, l.oversize, l.byteLength])).toEqual([
      [6, false, 6],
      [1024, true, total * chunk.length],
      [5, false, 5],
    ]);
    expect(stats.peakBufferedBytes).toBeLessThanOrEqual(1024 * 1024 + 1);
    expect(stats.peakBufferedBytes).toBeGreaterThan(0);
  });

  it('cuts the head of an oversize line on a character boundary', async () => {
    const lines = await collect(chunksOf(`${'é'.repeat(100)}\n`), { maxLineBytes: 50, headBytes: 9 });
    // 9 bytes would split the 5th "é" (2 bytes each): the head stops after the 4th.
    expect(lines[0]).toMatchObject({ oversize: true, text: 'éééé', byteLength: 200 });
  });

  it('groups lines per input chunk in readLineChunks', async () => {
    const groups: string[][] = [];
    for await (const g of readLineChunks(chunksOf('a\nb\nc', 'd\n', 'e'))) groups.push(g.map((l) => l.text));
    expect(groups).toEqual([['a', 'b'], ['cd'], ['e']]);
  });
});
