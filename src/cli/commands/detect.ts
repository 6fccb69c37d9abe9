import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { PACKAGE_ROOT } from '../../paths.js';
import { positiveInt, nonNegativeInt } from '../options.js';
import { formatDetectResult, runDetect, type DetectRunOptions } from '../run-detect.js';

/** The committed sample the demo replays (made by scripts/make-sample.ts). */
export const DEMO_SAMPLE = join(PACKAGE_ROOT, 'data', 'sample', 'cicids2017-sample.csv.gz');

interface DetectFlags {
  data: string[];
  model?: string;
  out: string;
  dlq?: string;
  batchSize: number;
  batchWaitMs: number;
  backend: DetectRunOptions['backend'];
  json?: boolean;
}

async function detectAndReport(options: DetectRunOptions, json: boolean): Promise<void> {
  for (const file of [options.out, options.dlq]) if (file && file !== '-') mkdirSync(dirname(file), { recursive: true });
  const result = await runDetect(options);
  // When verdicts go to stdout the summary must not mix with them.
  const write = options.out === '-' ? (s: string) => process.stderr.write(s) : (s: string) => process.stdout.write(s);
  write((json ? JSON.stringify(result) : formatDetectResult(result)) + '\n');
}

function addDetectOptions(cmd: Command): Command {
  return cmd
    .option('--model <dir|version>', 'model directory or version under models/ (default: models/CURRENT)')
    .option('--dlq <file>', 'append bad input to this file as JSON lines (reason, file, line, raw)')
    .option('--batch-size <n>', 'micro-batch size', positiveInt, 256)
    .option('--batch-wait-ms <ms>', 'longest a micro-batch waits to fill', nonNegativeInt, 20)
    .option('--backend <name>', 'TF.js backend: auto | node | wasm | cpu', 'auto')
    .option('--json', 'print the run summary as one JSON object');
}

export function registerDetect(program: Command): void {
  addDetectOptions(
    program
      .command('detect')
      .description('score flows from files or stdin (CICIDS2017 CSV, JSON lines; gzip or plain) and write verdicts')
      .requiredOption('--data <file...>', 'input files; - for stdin')
      .option('--out <file>', 'verdicts as JSON lines; - for stdout', '-'),
  ).action(async (f: DetectFlags) => {
    await detectAndReport({ inputs: f.data, model: f.model, out: f.out, dlq: f.dlq ?? null, batchSize: f.batchSize, batchWaitMs: f.batchWaitMs, backend: f.backend }, !!f.json);
  });

  addDetectOptions(
    program
      .command('demo')
      .description('the main job on the embedded default: replay the committed CICIDS2017 sample through detect with the shipped model')
      .option('--data <file...>', 'input files', [DEMO_SAMPLE])
      .option('--out <file>', 'verdicts as JSON lines', join('.vigil', 'demo', 'verdicts.jsonl')),
  ).action(async (f: DetectFlags) => {
    const dlq = f.dlq ?? join('.vigil', 'demo', 'dead-letters.jsonl');
    // The demo's own outputs are this run's, like its verdicts file: a --dlq given is appended to.
    if (f.dlq === undefined) await rm(dlq, { force: true });
    await detectAndReport({ inputs: f.data, model: f.model, out: f.out, dlq, batchSize: f.batchSize, batchWaitMs: f.batchWaitMs, backend: f.backend }, !!f.json);
    if (!f.json) process.stdout.write(`verdicts: ${f.out}\ndead letters: ${dlq}\n`);
  });
}
