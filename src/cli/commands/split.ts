import { createWriteStream, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import { holdoutLines, labelledLines } from '../../datasets/labelled-lines.js';
import { openInput } from '../../sources/open-input.js';
import { readLines } from '../../sources/line-reader.js';
import { fraction } from '../options.js';

async function writeLine(out: Writable, text: string): Promise<void> {
  if (!out.write(text + '\n')) await once(out, 'drain');
}

/**
 * Copies the header to both outputs and every line to the hold-out or the training file, in
 * two streaming passes: the first decides (it needs every row's time and class), the second
 * copies raw lines untouched so both files stay in the input's own format.
 */
export async function splitFile(path: string, share: number, outDir: string): Promise<{ train: string; holdout: string; heldRows: number; rows: number }> {
  const rowsOf = await labelledLines(path);
  const held = holdoutLines(rowsOf, share);
  const rows = rowsOf.lines.length;
  mkdirSync(outDir, { recursive: true });
  const trainPath = join(outDir, 'train.csv');
  const holdoutPath = join(outDir, 'holdout.csv');
  const train = createWriteStream(trainPath);
  const holdout = createWriteStream(holdoutPath);
  const input = await openInput(path);
  for await (const line of readLines(input.stream)) {
    if (line.oversize) continue;
    if (line.line === 1) {
      await writeLine(train, line.text);
      await writeLine(holdout, line.text);
    } else {
      await writeLine(held.has(line.line) ? holdout : train, line.text);
    }
  }
  await Promise.all([train, holdout].map((s) => new Promise((r) => s.end(r))));
  return { train: trainPath, holdout: holdoutPath, heldRows: held.size, rows };
}

export function registerSplit(program: Command): void {
  program
    .command('split')
    .description('cut a time-ordered hold-out from a labelled CSV: per attack type (source label), its latest rows by time')
    .requiredOption('--data <file>', 'labelled CICIDS2017 CSV (either format, gzip or plain)')
    .option('--holdout <fraction>', 'share of each attack type to hold out', fraction, 0.2)
    .option('--out-dir <dir>', 'where train.csv and holdout.csv are written', join('.vigil', 'split'))
    .action(async (f: { data: string; holdout: number; outDir: string }) => {
      const r = await splitFile(f.data, f.holdout, f.outDir);
      process.stdout.write(`${r.rows} labelled rows: ${r.rows - r.heldRows} -> ${r.train}, ${r.heldRows} held out -> ${r.holdout}\n`);
    });
}
