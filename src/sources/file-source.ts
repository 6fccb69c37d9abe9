import { performance } from 'node:perf_hooks';
import { InputError } from '../errors/vigil-error.js';
import type { FlowEvent } from '../events/flow-event.js';
import { isSecurityEvent, type SecurityEvent } from '../events/security-events.js';
import { rebatchAsync, type BatchOptions } from './batch-async.js';
import { cicidsDialect, createCicidsDecoder } from './cicids-csv.js';
import { createCowrieDecoder } from './cowrie-json.js';
import { detectFormat, type InputFormat } from './detect-format.js';
import { createJsonlDecoder } from './jsonl-flows.js';
import { DEFAULT_MAX_LINE_BYTES, readLineChunks, type Line } from './line-reader.js';
import { openInput, type OpenInputOptions } from './open-input.js';
import { formatPosition, type Decoded, type Decoder, type Position, type RawRecord, type RecordSource } from './record.js';
import { createSshdDecoder, type SshdDecoderOptions } from './sshd-syslog.js';

export interface FileSource extends RecordSource {
  readonly format: InputFormat;
  /** The input as positions name it: the path, or "<stdin>". */
  readonly file: string;
  /** Last line whose results are durable (0 before any): where a re-run may resume. */
  readonly durableLine: number;
  /** Stops reading and releases the file; batches() ends. */
  close(): Promise<void>;
}

export interface OpenFileSourceOptions extends OpenInputOptions {
  maxLineBytes?: number;
  /**
   * Year of the first line of a syslog input (syslog writes none). Default: the current UTC
   * year when the file is opened, right for a live auth.log; give it for an older log.
   */
  syslogYear?: number;
  /** The syslog clock minus UTC, in minutes (+480 for UTC+8). Default 0 (sshd decoder's). */
  syslogUtcOffsetMinutes?: number;
}

/** Any event vigil reads: a flow, or an auth / command / session event. */
export type InputEvent = FlowEvent | SecurityEvent;

export interface OpenedEventSource {
  source: FileSource;
  decoder: Decoder<InputEvent>;
  format: InputFormat;
}

/** A source for the flow-only path (detect, training sets): its decoder yields flows only. */
export interface OpenedFileSource {
  source: FileSource;
  decoder: Decoder<FlowEvent>;
  format: InputFormat;
}

/** Wraps read errors (a truncated gzip, EIO) so callers see which input failed, and why. */
function readError(err: unknown, file: string): unknown {
  if (err instanceof InputError) return err;
  return new InputError(`reading ${file} failed: ${(err as Error).message}`, { cause: err });
}

/** The reason code of a security event on the flow-only path. */
export const NOT_A_FLOW = 'not-a-flow';

/**
 * A decoder that passes flows and turns every other event into bad input with the reason
 * `not-a-flow: ...`. Dead-lettered rather than dropped: a Cowrie or syslog file given to
 * `detect` then shows up in its dead-letter counts (`not-a-flow: N`) instead of ending with
 * "0 events" and no explanation.
 */
export function flowsOnly(decoder: Decoder<InputEvent>): Decoder<FlowEvent> {
  return {
    format: decoder.format,
    decode(record: RawRecord): Decoded<FlowEvent> {
      const decoded = decoder.decode(record);
      if (!decoded.ok || !isSecurityEvent(decoded.value)) return decoded as Decoded<FlowEvent>;
      return {
        ok: false,
        position: decoded.position,
        reason: `${NOT_A_FLOW}: a ${decoded.value.kind} event of a ${decoder.format} input; this path scores flows (feature version 1), use \`vigil features\` for security events`,
        raw: record.text,
      };
    },
  };
}

/**
 * The flow-only path (detect, training sets): openEventSource with a decoder that
 * dead-letters security events (flowsOnly). Keeps the flow-typed decoder its callers expect.
 */
export async function openFileSource(path: string, options: OpenFileSourceOptions = {}): Promise<OpenedFileSource> {
  const opened = await openEventSource(path, options);
  return { ...opened, decoder: flowsOnly(opened.decoder) };
}

function createDecoder(format: InputFormat, firstText: string, maxLineBytes: number, options: OpenFileSourceOptions): Decoder<InputEvent> {
  switch (format) {
    case 'jsonl':
      return createJsonlDecoder({ maxLineBytes });
    case 'cowrie-json':
      return createCowrieDecoder({ maxLineBytes });
    case 'sshd-syslog': {
      const sshd: SshdDecoderOptions = { year: options.syslogYear ?? new Date().getUTCFullYear(), maxLineBytes };
      if (options.syslogUtcOffsetMinutes !== undefined) sshd.utcOffsetMinutes = options.syslogUtcOffsetMinutes;
      return createSshdDecoder(sshd);
    }
    case 'cicids-csv-corrected':
    case 'cicids-csv-original':
      return createCicidsDecoder(firstText, cicidsDialect(format), { maxLineBytes });
  }
}

/** Formats whose first line is a record (re-inserted), not a header. */
const FIRST_LINE_IS_RECORD: ReadonlySet<InputFormat> = new Set(['jsonl', 'cowrie-json', 'sshd-syslog']);

/**
 * Opens a file (plain or gzip) or stdin (`-`), reads up to its first non-empty line to pick
 * the format, and returns a source of its records with the decoder for them. A CSV header
 * builds the decoder and is not a record; the first line of JSON lines, Cowrie JSON and
 * syslog is the first record.
 */
export async function openEventSource(path: string, options: OpenFileSourceOptions = {}): Promise<OpenedEventSource> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const input = await openInput(path, options);
  const file = input.name;
  const chunks = readLineChunks(input.stream, { maxLineBytes });
  const nextChunk = async (): Promise<IteratorResult<Line[]>> => {
    try {
      return await chunks.next();
    } catch (err) {
      throw readError(err, file);
    }
  };

  // Lines after the first non-empty one that arrived in the same chunk as it.
  let carried: Line[] = [];
  let first: Line | undefined;
  try {
    while (!first) {
      const step = await nextChunk();
      if (step.done) throw new InputError(`${file} is empty: no header or record to read`);
      const at = step.value.findIndex((l) => l.oversize || l.text.trim() !== '');
      if (at === -1) continue;
      first = step.value[at] as Line;
      carried = step.value.slice(at + 1);
    }
    if (first.oversize) {
      throw new InputError(`${file}:${first.line}: first line is ${first.byteLength} bytes, over the ${maxLineBytes}-byte limit; not a header or record vigil reads`);
    }
  } catch (err) {
    await chunks.return(undefined);
    throw err;
  }
  // A UTF-8 BOM (files saved by spreadsheet tools) is not part of the first column's name.
  const firstText = first.text.replace(/^\uFEFF/, '');

  let format: InputFormat;
  let decoder: Decoder<InputEvent>;
  try {
    format = detectFormat(firstText);
    decoder = createDecoder(format, firstText, maxLineBytes, options);
  } catch (err) {
    await chunks.return(undefined);
    if (err instanceof InputError) throw new InputError(`${file}: ${err.message}`, { cause: err });
    throw err;
  }
  if (FIRST_LINE_IS_RECORD.has(format)) carried.unshift({ ...first, text: firstText });

  let durableLine = 0;
  let started = false;
  let closed = false;

  const toRecords = (lines: readonly Line[]): RawRecord[] => {
    // One clock read per chunk: its lines were all read at the same moment.
    const readAt = performance.now();
    const out: RawRecord[] = [];
    for (const l of lines) {
      // Blank lines (a trailing blank line, a blank between concatenated files) carry no
      // record; skipping them loses nothing, and line numbers stay true to the file.
      if (!l.oversize && l.text.trim() === '') continue;
      const record: RawRecord = { position: { kind: 'file', file, line: l.line }, text: l.text, byteLength: l.byteLength, readAt };
      if (l.oversize) record.oversize = true;
      out.push(record);
    }
    return out;
  };

  async function* recordChunks(): AsyncGenerator<RawRecord[]> {
    try {
      if (carried.length > 0) yield toRecords(carried);
      carried = [];
      while (!closed) {
        let step: IteratorResult<Line[]>;
        try {
          step = await nextChunk();
        } catch (err) {
          if (closed) return; // close() destroyed the stream under a pending read
          throw err;
        }
        if (step.done) return;
        const records = toRecords(step.value);
        if (records.length > 0) yield records;
      }
    } finally {
      await chunks.return(undefined);
    }
  }

  const source: FileSource = {
    name: `file:${file}`,
    format,
    file,
    get durableLine() {
      return durableLine;
    },
    batches(batch: BatchOptions): AsyncIterable<RawRecord[]> {
      if (started) throw new Error(`${file}: batches() may be called once; the input is a stream`);
      started = true;
      const batches = rebatchAsync(recordChunks(), batch);
      return (async function* () {
        // Lines already read when close() was called are dropped, not emitted: closing means
        // stop, and durableLine says where a later run should resume.
        for await (const b of batches) {
          if (closed) return;
          yield b;
        }
      })();
    },
    markDurable(last: Position): void {
      if (last.kind !== 'file' || last.file !== file) {
        throw new Error(`markDurable: ${formatPosition(last)} is not a position of ${file}`);
      }
      if (last.line > durableLine) durableLine = last.line;
    },
    async close(): Promise<void> {
      closed = true;
      if (!started) await chunks.return(undefined);
      else input.stream.destroy();
    },
  };
  return { source, decoder, format };
}
