import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadLabeledFlows } from '../../datasets/labeled-flows.js';
import { emptyReliabilityTally, reliabilityOf, tallyReliability } from '../../evaluation/calibration.js';
import { evaluatePredictions } from '../../evaluation/metrics.js';
import { formatReport } from '../../evaluation/format-report.js';
import { initBackend } from '../../inference/backend.js';
import { EnsembleClassifier, type MemberPrediction } from '../../ensemble/ensemble-classifier.js';
import { misclassifiedRows, type MisclassifiedRow } from '../../evaluation/misclassified.js';
import { loadFlowClassifier } from '../../ensemble/load-flow-classifier.js';
import { emptyMemberTally, memberReport, tallyMembers } from '../../ensemble/member-metrics.js';
import { readManifest, writeAtomic } from '../../inference/model-store.js';
import { resolveModelDir } from '../../registry/resolve-model.js';
import { ConfigError, ModelError } from '../../errors/vigil-error.js';
import { childLogger } from '../../telemetry/logger.js';

const log = childLogger('evaluate');

interface EvaluateFlags {
  data: string[];
  model?: string;
  json?: boolean;
  report?: string;
  members?: string;
  errors?: string;
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
    .option('--members <file.json>', 'ensemble models: also write each member\'s metrics (specialist recall on its class, fallback share, agreement)')
    .option('--errors <file.jsonl>', 'also write every misclassified row as a JSON line: input position, endpoints, label, decision, probabilities and, for an ensemble, each member\'s')
    .option('--backend <name>', 'TF.js backend: auto | node | wasm | cpu', 'auto')
    .action(async (f: EvaluateFlags) => {
      // Checked before scoring, which can take minutes on a full data set.
      if (f.report && !existsSync(dirname(resolve(f.report)))) {
        throw new ConfigError(`--report ${f.report}: directory ${dirname(resolve(f.report))} does not exist`);
      }
      for (const [flag, file] of [['--members', f.members], ['--errors', f.errors]] as const) {
        if (file && !existsSync(dirname(resolve(file)))) throw new ConfigError(`${flag} ${file}: directory ${dirname(resolve(file))} does not exist`);
      }
      await initBackend(f.backend);
      const modelDir = resolveModelDir(f.model);
      const classifier = await loadFlowClassifier(modelDir);
      if (f.members && !(classifier instanceof EnsembleClassifier)) {
        classifier.dispose();
        throw new ModelError(`--members: model ${classifier.version} is not an ensemble; it has no members to report`);
      }
      // The model's own feature version: a v2 model is scored on the files replayed through the feature pipeline.
      const data = await loadLabeledFlows(f.data, undefined, { keepOrigins: f.errors !== undefined, featureVersion: classifier.featureVersion });
      if (data.bad || Object.keys(data.unlabeled).length) {
        log.warn({ bad: data.bad, unlabeled: data.unlabeled }, 'rows skipped: not decodable or no known label');
      }
      const predicted = new Int32Array(data.rows);
      // Tallied chunk by chunk so the probabilities of a large set are never all held at once.
      const tally = f.report ? emptyReliabilityTally() : undefined;
      const k = classifier.classes.length;
      const members = f.members ? emptyMemberTally() : undefined;
      const wrong: MisclassifiedRow[] | undefined = f.errors ? [] : undefined;
      const sources = { classes: classifier.classes, origins: data.origins ?? [], labels: data.labels, labelGroup: data.labelGroup };
      const chunk = 2048;
      for (let start = 0; start < data.rows; start += chunk) {
        const n = Math.min(chunk, data.rows - start);
        const x = data.x.subarray(start * data.dims, (start + n) * data.dims);
        const y = data.y.subarray(start, start + n);
        let scored;
        let withMembers: MemberPrediction | undefined;
        if ((members || wrong) && classifier instanceof EnsembleClassifier) {
          withMembers = classifier.predictMembers(x, n);
          if (members) tallyMembers(members, withMembers, y);
          scored = withMembers;
        } else {
          scored = classifier.predictBatch(x, n);
        }
        const { probs, predicted: p } = scored;
        predicted.set(p, start);
        if (tally) tallyReliability(tally, probs, p, y, k);
        wrong?.push(...misclassifiedRows({ start, y, predicted: p, probs, ...(withMembers && { members: withMembers }) }, sources));
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
      if (f.members && members) {
        await writeAtomic(f.members, JSON.stringify({ model: report.model, ...memberReport(members) }, null, 2) + '\n');
        process.stderr.write(`member metrics written to ${f.members}\n`);
      }
      if (f.errors && wrong) {
        await writeAtomic(f.errors, wrong.map((row) => JSON.stringify(row) + '\n').join(''));
        process.stderr.write(`${wrong.length} misclassified rows written to ${f.errors}\n`);
      }
      process.stdout.write((f.json ? JSON.stringify(report) : formatReport(report)) + '\n');
    });
}
