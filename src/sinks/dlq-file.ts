import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BadInput } from '../sources/record.js';
import type { DeadLetterSink } from '../stages/route-bad-input.js';

/**
 * The dead-letter output: bad input as JSON lines, one per record, e.g.
 *   {"reason":"column-count: expected 91 cells, got 90","code":"column-count",
 *    "file":"flows.csv","line":12,"raw":"…","at":"2024-05-01T10:00:00.000Z"}
 * Kafka positions carry "topic","partition","offset" in place of "file","line".
 */
export interface DlqWriter extends DeadLetterSink {
  /** The file written, "-" for stdout, or null when only counting. */
  readonly path: string | null;
  /**
   * Appends the items; resolves once they are durable (written and, for files, fsynced). A
   * file is appended to across runs, as a queue is: a rerun does not drop the bad records of
   * the one before, which may not have been looked at yet.
   */
  write(items: readonly BadInput[]): Promise<void>;
  /** Bad records so far per reason code ("column-count", "non-numeric", ...). */
  counts(): Record<string, number>;
  readonly total: number;
  /** Resolves when everything written so far is durable. */
  flush(): Promise<void>;
  /** Flushes and closes the file; later writes reject. */
  close(): Promise<void>;
}

export interface DlqWriterOptions {
  /** fsync (datasync) after each write; on by default because the source acknowledges after it. */
  sync?: boolean;
  /** Clock for the "at" field (tests). */
  now?: () => Date;
}

/**
 * The stable code of a reason: the text before its first colon ("non-numeric: Flow
 * Duration = …" -> "non-numeric"). Counting by code keeps the counts few and comparable
 * across runs; the full reason (with column and value) stays in the line itself.
 */
export function reasonCode(reason: string): string {
  const colon = reason.indexOf(':');
  const code = (colon === -1 ? reason : reason.slice(0, colon)).trim();
  return /^[a-z][a-z0-9-]*$/.test(code) ? code : 'other';
}

/** One dead-letter line (with its newline). */
export function deadLetterLine(item: BadInput, at: Date): string {
  const p = item.position;
  const where = p.kind === 'file' ? { file: p.file, line: p.line } : { topic: p.topic, partition: p.partition, offset: p.offset };
  return `${JSON.stringify({ reason: item.reason, code: reasonCode(item.reason), ...where, raw: item.raw, at: at.toISOString() })}\n`;
}

export function createDlqWriter(path: string | null, options: DlqWriterOptions = {}): DlqWriter {
  const sync = options.sync ?? true;
  const now = options.now ?? (() => new Date());
  const perCode = new Map<string, number>();
  let total = 0;
  let closed = false;
  let handle: FileHandle | undefined;
  // Writes run one after another, so lines never interleave and flush() can wait for all
  // earlier writes by waiting for the tail of the chain. A failed write fails every later
  // flush too: a dead-letter output that lost lines must not look healthy.
  let chain: Promise<void> = Promise.resolve();

  const openFile = async (file: string): Promise<FileHandle> => {
    if (!handle) {
      await mkdir(dirname(file), { recursive: true });
      handle = await open(file, 'a');
    }
    return handle;
  };

  const append = async (text: string): Promise<void> => {
    if (path === '-') {
      await new Promise<void>((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
      return;
    }
    if (path === null) return;
    const file = await openFile(path);
    await file.writeFile(text, 'utf8');
    if (sync) await file.datasync();
  };

  const enqueue = (text: string): Promise<void> => {
    chain = chain.then(() => (text === '' ? undefined : append(text)));
    return chain;
  };

  return {
    path,
    get total() {
      return total;
    },
    counts() {
      return Object.fromEntries(perCode);
    },
    write(items) {
      if (closed) return Promise.reject(new Error(`dead-letter output ${path ?? '(counting only)'} is closed`));
      if (items.length === 0) return chain;
      const at = now();
      let text = '';
      for (const item of items) {
        const code = reasonCode(item.reason);
        perCode.set(code, (perCode.get(code) ?? 0) + 1);
        total += 1;
        if (path !== null) text += deadLetterLine(item, at);
      }
      return enqueue(text);
    },
    flush() {
      return chain;
    },
    async close() {
      if (closed) return chain;
      closed = true;
      await chain;
      // A run without bad input still leaves the file it names, so its path can be read.
      if (path !== null && path !== '-') await openFile(path);
      if (handle) {
        const h = handle;
        handle = undefined;
        await h.close();
      }
    },
  };
}
