import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Verdict } from '../events/verdict.js';

export interface VerdictSink {
  write(verdicts: readonly Verdict[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Verdicts as JSON lines to a file, to stdout (`-`), or nowhere (`null`, for benchmarks).
 * `write` resolves once the stream has taken the lines, waiting for 'drain' when the reader
 * is slower than the detector, so a slow consumer slows vigil down instead of filling memory.
 */
export function createVerdictSink(target: string | null): VerdictSink {
  if (target === null) return { write: async () => {}, close: async () => {} };
  const stream: Writable = target === '-' ? process.stdout : createWriteStream(target, { flags: 'w' });
  return {
    async write(verdicts) {
      if (verdicts.length === 0) return;
      const text = verdicts.map((v) => JSON.stringify(v)).join('\n') + '\n';
      if (!stream.write(text)) await once(stream, 'drain');
    },
    async close() {
      if (stream === process.stdout) return;
      await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    },
  };
}
