import { closeSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FlowEvent } from '../../src/events/flow-event.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { openFileSource, type OpenFileSourceOptions } from '../../src/sources/file-source.js';
import type { BadInput, Decoded, RawRecord } from '../../src/sources/record.js';

/** The shared data sits beside the repository (see ../shared/data/README.md), in CI too. */
export const DATA_DIR = resolve(PACKAGE_ROOT, '../shared/data/cicids2017');
export const TRAIN_CSV = resolve(DATA_DIR, 'train.csv');
export const ORIGINAL_CSV = resolve(DATA_DIR, 'original-format-head.csv');
export const FIXTURES = resolve(PACKAGE_ROOT, 'test/fixtures/sources');

export function record(text: string, line = 2, file = 'test.csv'): RawRecord {
  return { position: { kind: 'file', file, line }, text, byteLength: Buffer.byteLength(text), readAt: 0 };
}

export function expectOk(d: Decoded<FlowEvent>): FlowEvent {
  if (!d.ok) throw new Error(`expected an event, got bad input: ${d.reason}`);
  return d.value;
}

export interface Drained {
  format: string;
  events: { line: number; event: FlowEvent }[];
  bad: BadInput[];
  durableLine: number;
}

/** Reads a whole input through openFileSource and its decoder, as the topology does. */
export async function drain(path: string, options: OpenFileSourceOptions & { limit?: number } = {}): Promise<Drained> {
  const { source, decoder, format } = await openFileSource(path, options);
  const events: Drained['events'] = [];
  const bad: BadInput[] = [];
  for await (const batch of source.batches({ maxSize: 512, maxWaitMs: 1000 })) {
    for (const r of batch) {
      const d = decoder.decode(r);
      if (d.ok) events.push({ line: (d.position as { line: number }).line, event: d.value });
      else bad.push({ position: d.position, reason: d.reason, raw: d.raw });
    }
    source.markDurable(batch.at(-1)!.position);
    if (options.limit !== undefined && events.length + bad.length >= options.limit) {
      await source.close();
      break;
    }
  }
  return { format, events, bad, durableLine: source.durableLine };
}

/** The first `n` lines of a file, terminators kept, without reading all of it (train.csv is 23 MB). */
export function headLines(path: string, n: number, bytes = 256 * 1024): string[] {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const read = readSync(fd, buf, 0, buf.length, 0);
    const lines = buf.toString('utf8', 0, read).split(/(?<=\n)/);
    if (lines.length <= n) throw new Error(`headLines: ${path} has fewer than ${n} lines in its first ${bytes} bytes`);
    return lines.slice(0, n);
  } finally {
    closeSync(fd);
  }
}
