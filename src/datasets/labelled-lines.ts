import { classIndex, classOfLabel } from '../events/threat-classes.js';
import { openFileSource } from '../sources/file-source.js';
import { timeOrderedHoldout } from '../training/holdout.js';

/** Line number, event time and class of every labelled, decodable row of a file. */
export interface LabelledLines {
  lines: Int32Array;
  ts: Float64Array;
  y: Int32Array;
}

export async function labelledLines(path: string): Promise<LabelledLines> {
  const { source, decoder } = await openFileSource(path);
  const lines: number[] = [];
  const ts: number[] = [];
  const y: number[] = [];
  for await (const records of source.batches({ maxSize: 4096, maxWaitMs: 1000 })) {
    for (const record of records) {
      const decoded = decoder.decode(record);
      if (!decoded.ok || decoded.position.kind !== 'file') continue;
      const c = decoded.value.label ? classOfLabel(decoded.value.label) : undefined;
      if (c === undefined) continue;
      lines.push(decoded.position.line);
      ts.push(decoded.value.ts);
      y.push(classIndex(c));
    }
  }
  return { lines: Int32Array.from(lines), ts: Float64Array.from(ts), y: Int32Array.from(y) };
}

/** The rows of the per-class time-ordered hold-out (see timeOrderedHoldout), as line numbers with their class. */
export function holdoutLines(rows: LabelledLines, share: number): Map<number, number> {
  const split = timeOrderedHoldout(rows.ts, rows.y, share);
  return new Map(Array.from(split.holdout, (i) => [rows.lines[i]!, rows.y[i]!]));
}
