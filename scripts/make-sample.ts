/**
 * Cuts the demo sample committed in data/sample/ from ../shared/data/cicids2017/train.csv:
 * rows of the per-class time-ordered hold-out only (the shipped model never trained on them),
 * at most PER_CLASS rows of each class spread evenly over its time range, in file order,
 * gzip-compressed. Re-running it gives the same file.
 *
 *   npm run build && node dist/scripts/make-sample.js [path/to/train.csv]
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { holdoutLines, labelledLines } from '../src/datasets/labelled-lines.js';
import { THREAT_CLASSES } from '../src/events/threat-classes.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { openInput } from '../src/sources/open-input.js';
import { readLines } from '../src/sources/line-reader.js';

const SOURCE = process.argv[2] ?? join(PACKAGE_ROOT, '..', 'shared', 'data', 'cicids2017', 'train.csv');
const OUT = join(PACKAGE_ROOT, 'data', 'sample', 'cicids2017-sample.csv.gz');
const HOLDOUT_SHARE = 0.2;
const PER_CLASS = 700;

const held = holdoutLines(await labelledLines(SOURCE), HOLDOUT_SHARE);
const byClass = new Map<number, number[]>();
for (const [line, c] of held) byClass.set(c, [...(byClass.get(c) ?? []), line]);
const chosen = new Set<number>();
for (const lines of byClass.values()) {
  lines.sort((a, b) => a - b);
  const step = Math.max(1, lines.length / PER_CLASS);
  for (let i = 0; i < lines.length && chosen.size < Number.MAX_SAFE_INTEGER; i += step) chosen.add(lines[Math.floor(i)]!);
}

async function* sampleLines() {
  const input = await openInput(SOURCE);
  for await (const line of readLines(input.stream)) {
    if (line.line === 1 || chosen.has(line.line)) yield line.text + '\n';
  }
}
mkdirSync(dirname(OUT), { recursive: true });
await pipeline(Readable.from(sampleLines()), createGzip({ level: 9 }), createWriteStream(OUT));
const counts = THREAT_CLASSES.map((c, i) => `${c} ${[...chosen].filter((l) => held.get(l) === i).length}`);
console.log(`${chosen.size} rows -> ${OUT} (${counts.join(', ')})`);
