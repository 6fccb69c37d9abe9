import type { Command } from 'commander';
import { loadLabeledFlows } from '../../datasets/labeled-flows.js';
import { evaluatePredictions } from '../../evaluation/metrics.js';
import { formatReport } from '../../evaluation/format-report.js';
import { initBackend } from '../../inference/backend.js';
import { loadClassifier } from '../../inference/classifier.js';
import { resolveModelDir } from '../../registry/resolve-model.js';
import { childLogger } from '../../telemetry/logger.js';

const log = childLogger('evaluate');

export function registerEvaluate(program: Command): void {
  program
    .command('evaluate')
    .description('score a labelled file (CICIDS2017 CSV either format, JSON lines) and report per-class metrics')
    .requiredOption('--data <file...>', 'labelled input files')
    .option('--model <dir|version>', 'model directory or version under models/ (default: models/CURRENT)')
    .option('--json', 'print exactly one JSON object on stdout (the stable evaluate contract)')
    .option('--backend <name>', 'TF.js backend: auto | node | wasm | cpu', 'auto')
    .action(async (f: { data: string[]; model?: string; json?: boolean; backend: 'auto' | 'node' | 'wasm' | 'cpu' }) => {
      await initBackend(f.backend);
      const classifier = await loadClassifier(resolveModelDir(f.model));
      const data = await loadLabeledFlows(f.data);
      if (data.bad || Object.keys(data.unlabeled).length) {
        log.warn({ bad: data.bad, unlabeled: data.unlabeled }, 'rows skipped: not decodable or no known label');
      }
      const predicted = new Int32Array(data.rows);
      const chunk = 2048;
      for (let start = 0; start < data.rows; start += chunk) {
        const n = Math.min(chunk, data.rows - start);
        const { predicted: p } = classifier.predictBatch(data.x.subarray(start * data.dims, (start + n) * data.dims), n);
        predicted.set(p, start);
      }
      const report = evaluatePredictions(data.y, predicted, classifier.version);
      classifier.dispose();
      process.stdout.write((f.json ? JSON.stringify(report) : formatReport(report)) + '\n');
    });
}
