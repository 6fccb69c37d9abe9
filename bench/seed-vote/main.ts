/**
 * bench/seed-vote: does a vote of models trained with different seeds make fewer errors than
 * one of them? Scores each model on the same labelled rows, then their plurality vote
 * (plurality.ts), and prints one row each: macro-F1, errors, benign false positives, the
 * lowest class recall. The README's Accuracy section reports it on the inner time fold.
 *
 *   npm run bench:seed-vote -- --data .vigil/inner/holdout.csv --model DIR1 --model DIR2 ...
 */
import { parseArgs } from 'node:util';
import { loadLabeledFlows } from '../../src/datasets/labeled-flows.js';
import { loadFlowClassifier } from '../../src/ensemble/load-flow-classifier.js';
import { evaluatePredictions } from '../../src/evaluation/metrics.js';
import { initBackend } from '../../src/inference/backend.js';
import { NORMAL_CLASS_INDEX, THREAT_CLASSES } from '../../src/events/threat-classes.js';
import { pluralityVote, type ScoredRows } from './plurality.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', multiple: true },
    model: { type: 'string', multiple: true },
    backend: { type: 'string', default: 'auto' },
  },
});
if (!values.data?.length || (values.model?.length ?? 0) < 2) {
  console.error('usage: npm run bench:seed-vote -- --data FILE [--data FILE...] --model DIR --model DIR [--model DIR...]');
  process.exit(2);
}

await initBackend(values.backend as 'auto');
const k = THREAT_CLASSES.length;

function row(name: string, y: Int32Array, predicted: Int32Array): string {
  const report = evaluatePredictions(y, predicted, name);
  const errors = predicted.filter((p, i) => p !== y[i]).length;
  const benignFalsePositives = predicted.filter((p, i) => y[i] === NORMAL_CLASS_INDEX && p !== NORMAL_CLASS_INDEX).length;
  const [worst, metrics] = Object.entries(report.perClass).reduce((a, b) => (b[1].recall < a[1].recall ? b : a));
  return [name.padEnd(28), report.macroF1.toFixed(4).padStart(8), String(errors).padStart(7), String(benignFalsePositives).padStart(9), `${metrics.recall.toFixed(3)} ${worst}`.padStart(20)].join(' ');
}

const scored: ScoredRows[] = [];
let y: Int32Array | undefined;
let header = false;
for (const dir of values.model!) {
  const classifier = await loadFlowClassifier(dir);
  // Loaded per model: a feature-version-2 model needs its own replay of the files.
  const flows = await loadLabeledFlows(values.data, undefined, { featureVersion: classifier.featureVersion });
  if (y && (flows.y.length !== y.length || flows.y.some((c, i) => c !== y![i]))) throw new Error(`${dir}: its rows differ from the first model's`);
  y = flows.y;
  const { probs, predicted } = classifier.predictBatch(flows.x, flows.rows);
  classifier.dispose();
  if (!header) {
    console.log(`bench/seed-vote: ${values.data.join(' ')}, ${flows.rows} rows, ${flows.y.filter((c) => c === NORMAL_CLASS_INDEX).length} normal`);
    console.log(`${'model'.padEnd(28)} macro-F1  errors  benignFP    min class recall`);
    header = true;
  }
  console.log(row(dir, y, predicted));
  scored.push({ probs, predicted });
}
console.log(row(`plurality vote of ${scored.length}`, y!, pluralityVote(scored, k)));
