import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InputError } from '../errors/vigil-error.js';

export interface OpenedInput {
  stream: Readable;
  /** How the input is named in positions and messages: the path, or "<stdin>" for `-`. */
  name: string;
  gzip: boolean;
}

export interface OpenInputOptions {
  /** Stands in for process.stdin when the path is `-` (tests, embedding). */
  stdin?: Readable;
}

export const STDIN_NAME = '<stdin>';
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/**
 * Opens a file, or stdin for `-`, and gunzips it when it is gzip. Gzip is recognised by its
 * magic bytes, not the name: `zcat`-less pipes (`curl … | vigil detect -`) and files saved
 * without `.gz` are common, and a `.gz` name on a plain file must not break reading either.
 */
export async function openInput(path: string, options: OpenInputOptions = {}): Promise<OpenedInput> {
  let raw: Readable;
  let name: string;
  if (path === '-') {
    raw = options.stdin ?? process.stdin;
    name = STDIN_NAME;
  } else {
    // Opened eagerly so a missing or unreadable file is an InputError here, at open time,
    // rather than an 'error' event in the middle of the pipeline.
    const handle = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
      throw new InputError(`cannot open input ${path}: ${err.code ?? err.message}`, { cause: err });
    });
    const stat = await handle.stat();
    if (stat.isDirectory()) {
      await handle.close();
      throw new InputError(`cannot open input ${path}: it is a directory`);
    }
    raw = handle.createReadStream({ highWaterMark: 256 * 1024 });
    name = path;
  }

  const { head, stream } = await peek(raw, GZIP_MAGIC.length);
  const gzip = head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  if (!gzip) return { stream, name, gzip };

  const gunzip = createGunzip();
  // pipe() does not forward errors: a read error on the file must reach whoever reads the
  // gunzipped stream, or it would wait forever.
  stream.on('error', (err) => gunzip.destroy(err));
  gunzip.on('close', () => {
    if (!stream.destroyed) stream.destroy();
  });
  stream.pipe(gunzip);
  return { stream: gunzip, name, gzip };
}

/**
 * Reads the first `n` bytes (fewer at end of input) and returns them with a stream that
 * still yields every byte. Re-yielding from the iterator, rather than seeking back or
 * unshift(), works on pipes and on inputs shorter than `n` (unshift after 'end' throws).
 */
async function peek(raw: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const first: Buffer[] = [];
  let length = 0;
  let ended = false;
  try {
    while (length < n) {
      const step = await iterator.next();
      if (step.done) {
        ended = true;
        break;
      }
      const chunk = typeof step.value === 'string' ? Buffer.from(step.value, 'utf8') : step.value;
      first.push(chunk);
      length += chunk.length;
    }
  } catch (err) {
    throw new InputError(`cannot read input: ${(err as Error).message}`, { cause: err });
  }
  async function* replay(): AsyncGenerator<Buffer> {
    yield* first;
    if (ended) return;
    for (;;) {
      const step = await iterator.next();
      if (step.done) return;
      yield typeof step.value === 'string' ? Buffer.from(step.value, 'utf8') : step.value;
    }
  }
  const stream = Readable.from(replay(), { objectMode: false });
  // Closing the replay (a reader that stops early) must close the file underneath too.
  stream.on('close', () => void iterator.return?.());
  return { head: Buffer.concat(first, length).subarray(0, n), stream };
}
