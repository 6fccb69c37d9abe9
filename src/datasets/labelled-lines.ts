import { classIndex, classOfLabel } from '../events/threat-classes.js';
import { openFileSource } from '../sources/file-source.js';
import { timeOrderedHoldout } from '../training/holdout.js';

/** Line number, event time and class of every labelled, decodable row of a file. */
export interface LabelledLines {
  lines: Int32Array;
  ts: Float64Array;
  y: Int32Array;
  /** Index of each row's source label (e.g. "DoS Hulk"), for a split stratified by attack type. */
  labelGroup: Int32Array;
}

export async function labelledLines(path: string): Promise<LabelledLines> {
  const { source, decoder } = await openFileSource(path);
  const lines: number[] = [];
  const ts: number[] = [];
  const y: number[] = [];
  const group: number[] = [];
  const labelIds = new Map<string, number>();
  for await (const records of source.batches({ maxSize: 4096, maxWaitMs: 1000 })) {
    for (const record of records) {
      const decoded = decoder.decode(record);
      if (!decoded.ok || decoded.position.kind !== 'file') continue;
      const c = decoded.value.label ? classOfLabel(decoded.value.label) : undefined;
      if (c === undefined) continue;
      lines.push(decoded.position.line);
      ts.push(decoded.value.ts);
      y.push(classIndex(c));
      const label = decoded.value.label!.trim();
      if (!labelIds.has(label)) labelIds.set(label, labelIds.size);
      group.push(labelIds.get(label)!);
    }
  }
  return { lines: Int32Array.from(lines), ts: Float64Array.from(ts), y: Int32Array.from(y), labelGroup: Int32Array.from(group) };
}

/**
 * The rows of the time-ordered hold-out, as line numbers with their class: for each source
 * label (attack type), its latest `share` of rows by time. Stratified by label rather than by
 * class because a class such as web_attack holds several attack types that ran one after
 * another: a per-class cut would put all of the last type (SQL injection) in the hold-out and
 * none in training, testing on an attack the model never saw while claiming to test drift.
 */
export function holdoutLines(rows: LabelledLines, share: number): Map<number, number> {
  const split = timeOrderedHoldout(rows.ts, rows.labelGroup, share);
  return new Map(Array.from(split.holdout, (i) => [rows.lines[i]!, rows.y[i]!]));
}
