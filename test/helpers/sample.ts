import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DEMO_SAMPLE } from '../../src/cli/commands/detect.js';

/** Header and first `rows` data lines of the committed demo sample (real CICIDS2017 hold-out rows). */
export function sampleLines(rows: number): { header: string; lines: string[] } {
  const all = gunzipSync(readFileSync(DEMO_SAMPLE)).toString('utf8').split(/\r?\n/).filter((l) => l.length > 0);
  return { header: all[0]!, lines: all.slice(1, rows + 1) };
}
