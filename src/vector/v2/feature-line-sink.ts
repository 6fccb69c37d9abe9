import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';

/**
 * One line of `vigil features` output: the event's key (its source IP), its event time
 * (epoch ms UTC), the layout version, and the vector in that layout's order (100 finite
 * numbers for version 2, features/registry.ts).
 */
export interface FeatureLine {
  key: string;
  ts: number;
  /** The event's id, so a line can be matched with its event, verdict or label. */
  eventId: string;
  featureVersion: number;
  vector: number[];
}

export interface FeatureLineSink {
  write(lines: readonly FeatureLine[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Feature lines as JSON lines to a file or stdout (`-`). `write` waits for 'drain' when the
 * reader is slower, so a slow consumer slows the topology instead of filling memory.
 */
export function createFeatureLineSink(target: string): FeatureLineSink {
  const stream: Writable = target === '-' ? process.stdout : createWriteStream(target, { flags: 'w' });
  return {
    async write(lines) {
      if (lines.length === 0) return;
      const text = lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
      if (!stream.write(text)) await once(stream, 'drain');
    },
    async close() {
      if (stream === process.stdout) return;
      await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
    },
  };
}
