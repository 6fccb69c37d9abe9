import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadLabeledFlows } from '../../datasets/labeled-flows.js';
import { emptyReliabilityTally, reliabilityOf, tallyReliability } from '../../evaluation/calibration.js';
import { evaluatePredictions } from '../../evaluation/metrics.js';
import { formatReport } from '../../evaluation/format-report.js';
import { initBackend } from '../../inference/backend.js';
import { loadClassifier } from '../../inference/classifier.js';
import { readManifest, writeAtomic } from '../../inference/model-store.js';
import { resolveModelDir } from '../../registry/resolve-model.js';
import { ConfigError } from '../../errors/vigil-error.js';
import { childLogger } from '../../telemetry/logger.js';

const log = childLogger('evaluate');

interface EvaluateFlags {
  data: string[];
  model?: string;
  json?: boolean;
  report?: string;
  backend: 'auto' | 'node' | 'wasm' | 'cpu';
}

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('score a labelled file (CICIDS2017 CSV either format, JSON lines) and report per-class metrics')
    .requiredOption('--data <file...>', 'labelled input files')
    .option('--model <dir|version>', 'model directory or version under models/ (default: models/CURRENT)')
    .option('--json', 'print exactly one JSON object on stdout (the stable evaluate contract)')
    .option('--report <file.html>', 'also write a self-contained HTML report with charts (confusion, per-class, calibration, learning curves)')
    .option('--backend <name>', 'TF.js backend: auto | node | wasm | cpu', 'auto')
    .action(async (f: EvaluateFlags) => {
      // Checked before scoring, which can take minutes on a full data set.
      if (f.report && !existsSync(dirname(resolve(f.report)))) {
        throw new ConfigError(`--report ${f.report}: directory ${dirname(resolve(f.report))} does not exist`);
      }
      await initBackend(f.backend);
      const modelDir = resolveModelDir(f.model);
      const classifier = await loadClassifier(modelDir);
      const data = await loadLabeledFlows(f.data);
      if (data.bad || Object.keys(data.unlabeled).length) {
        log.warn({ bad: data.bad, unlabeled: data.unlabeled }, 'rows skipped: not decodable or no known label');
      }
      const predicted = new Int32Array(data.rows);
      // Tallied chunk by chunk so the probabilities of a large set are never all held at once.
      const tally = f.report ? emptyReliabilityTally() : undefined;
      const k = classifier.classes.length;
      const chunk = 2048;
      for (let start = 0; start < data.rows; start += chunk) {
        const n = Math.min(chunk, data.rows - start);
        const { probs, predicted: p } = classifier.predictBatch(data.x.subarray(start * data.dims, (start + n) * data.dims), n);
        predicted.set(p, start);
        if (tally) tallyReliability(tally, probs, p, data.y.subarray(start, start + n), k);
      }
      const report = evaluatePredictions(data.y, predicted, classifier.version);
      classifier.dispose();
      if (f.report && tally) {
        // Loaded only when asked for: Vega is large, and plain `evaluate --json` need not pay for it.
        const { renderHtmlReport } = await import('../../evaluation/report-html.js');
        const html = await renderHtmlReport({
          evaluation: report,
          reliability: reliabilityOf(tally),
          manifest: await readManifest(modelDir),
          data: { files: f.data, bad: data.bad, unlabeled: data.unlabeled },
        });
        await writeAtomic(f.report, html);
        // stderr, as every progress line: stdout carries only the report (one JSON object with --json).
        process.stderr.write(`report written to ${f.report}\n`);
      }
      process.stdout.write((f.json ? JSON.stringify(report) : formatReport(report)) + '\n');
    });
}
