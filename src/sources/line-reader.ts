/**
 * Lines from a byte stream, with a hard cap on how much of one line is ever held in memory.
 *
 * Why not node:readline or split2: readline has no line-length limit at all (one 2 GB line
 * with no newline is buffered whole, then decoded into one string), and split2's `maxLength`
 * drops an over-long line silently, so the bad input would vanish instead of reaching the
 * dead-letter output with its line number. Here an over-long line becomes one `oversize`
 * record carrying its head and its true length, and reading resumes at the next newline.
 *
 * Lines are decoded from bytes only once complete, so a UTF-8 character split across two
 * chunks is decoded whole (decoding each chunk on its own would turn it into U+FFFD).
 */

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
/** How much of an oversize line is kept: enough to recognise it in the dead-letter output. */
export const DEFAULT_OVERSIZE_HEAD_BYTES = 1024;

export interface Line {
  /** The line without its terminator (`\n` or `\r\n`); only the head when `oversize`. */
  text: string;
  /** 1-based; every terminator counts, so empty lines keep later numbers true to the file. */
  line: number;
  /** Bytes of the whole line without its terminator, also when `oversize`. */
  byteLength: number;
  oversize: boolean;
}

export interface LineReaderOptions {
  /** Lines longer than this (bytes, terminator excluded) are yielded as `oversize`. */
  maxLineBytes?: number;
  headBytes?: number;
  /** Updated while reading; lets a test (or a metric) check the memory bound really holds. */
  stats?: LineReaderStats;
}

export interface LineReaderStats {
  /** Most bytes held at once for an unfinished line. */
  peakBufferedBytes: number;
}

const LF = 0x0a;
const CR = 0x0d;

/** Cuts `bytes` to at most `max` bytes without splitting a UTF-8 character. */
function utf8Head(bytes: Buffer, max: number): Buffer {
  if (bytes.length <= max) return bytes;
  let end = max;
  // Continuation bytes are 10xxxxxx: back up to the start of the character they belong to.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end);
}

/** Lines one by one. */
export async function* readLines(
  input: AsyncIterable<Buffer | Uint8Array | string>,
  options: LineReaderOptions = {},
): AsyncGenerator<Line, void, undefined> {
  for await (const lines of readLineChunks(input, options)) yield* lines;
}

/**
 * The lines completed by each chunk of input, as one array per chunk. The same lines as
 * readLines(); for hot paths, since every step through an async generator costs a few
 * promises, and a 256 KiB chunk of flow CSV holds ~500 lines.
 */
export async function* readLineChunks(
  input: AsyncIterable<Buffer | Uint8Array | string>,
  options: LineReaderOptions = {},
): AsyncGenerator<Line[], void, undefined> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const headBytes = Math.min(options.headBytes ?? DEFAULT_OVERSIZE_HEAD_BYTES, maxLineBytes);
  const stats = options.stats;

  let lineNo = 0;
  // The unfinished line: slices of earlier chunks, while it is within the cap.
  let parts: Buffer[] = [];
  let partsLength = 0;
  // Once over the cap: only a copy of the head is kept, the rest is counted and dropped.
  let skipping = false;
  let head: Buffer = Buffer.alloc(0);
  let skippedLength = 0;
  let lastByte = -1;

  const hold = (piece: Buffer): void => {
    if (piece.length === 0) return;
    if (skipping) {
      skippedLength += piece.length;
    } else if (partsLength + piece.length > maxLineBytes + 1) {
      // +1: a line of exactly maxLineBytes may still be followed by the '\r' of its "\r\n".
      // Buffer.concat truncates to the length given: only the head is copied, and the copy
      // does not pin the chunks. +4 leaves room to find a character boundary.
      const total = partsLength + piece.length;
      head = Buffer.concat([...parts, piece], Math.min(total, headBytes + 4));
      skippedLength = total;
      skipping = true;
      parts = [];
      partsLength = 0;
    } else {
      parts.push(piece);
      partsLength += piece.length;
      if (stats && partsLength > stats.peakBufferedBytes) stats.peakBufferedBytes = partsLength;
    }
    lastByte = piece[piece.length - 1] ?? lastByte;
  };

  /** Ends the current line, whose last bytes in this chunk are `tail`. */
  const finish = (tail: Buffer): Line => {
    lineNo += 1;
    if (skipping) {
      const endsWithCr = tail.length > 0 ? tail[tail.length - 1] === CR : lastByte === CR;
      const byteLength = skippedLength + tail.length - (endsWithCr ? 1 : 0);
      skipping = false;
      skippedLength = 0;
      lastByte = -1;
      const text = utf8Head(head, headBytes).toString('utf8');
      head = Buffer.alloc(0);
      return { text, line: lineNo, byteLength, oversize: true };
    }
    let bytes: Buffer;
    if (partsLength === 0) bytes = tail;
    else {
      parts.push(tail);
      bytes = Buffer.concat(parts, partsLength + tail.length);
      parts = [];
      partsLength = 0;
    }
    lastByte = -1;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === CR) end -= 1;
    if (end > maxLineBytes) {
      return { text: utf8Head(bytes, headBytes).toString('utf8'), line: lineNo, byteLength: end, oversize: true };
    }
    return { text: bytes.toString('utf8', 0, end), line: lineNo, byteLength: end, oversize: false };
  };

  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    const out: Line[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) break;
      const tail = chunk.subarray(start, nl);
      if (skipping || partsLength + tail.length <= maxLineBytes + 1) {
        out.push(finish(tail));
      } else {
        hold(tail); // over the cap within this chunk: switch to skipping, keep the head only
        out.push(finish(Buffer.alloc(0)));
      }
      start = nl + 1;
    }
    if (start < chunk.length) hold(chunk.subarray(start));
    if (out.length > 0) yield out;
  }
  if (skipping || partsLength > 0) yield [finish(Buffer.alloc(0))];
}
