/**
 * bench/feature-versions (issue 4): does a model trained on feature-version-2 vectors (100
 * dims: the 79 flow features + features 80-100) lose macro-F1 against one trained on v1 (79)?
 *
 * Both models are the same MLP, trained by the same code with the same seed and settings, on
 * the same rows: the time-ordered split of `vigil split` (.vigil/split/train.csv, made here if
 * missing), early stopping on the latest 15% of each attack type of the training rows, then
 * scored once on the hold-out (.vigil/split/holdout.csv), which neither model saw: by argmax,
 * and by per-class thresholds tuned for F1 on the validation rows (src/learn/class-thresholds),
 * the same procedure for both. Several seeds (`--seeds 1,2,3`) give the spread of each figure.
 *
 * The v2 vectors come from one FeaturePipeline run over the training AND hold-out flows merged
 * in time order (ts, source IP, event id), as the streaming topology would see them live:
 * features 80-100 read no labels, so computing them across the cut leaks nothing, and a
 * hold-out flow gets the windows and sequences its source really had at that time. No
 * outcomes are fed (feature 83), where `vigil train --feature-version 2` feeds the training
 * rows' labels; on this data that barely matters: all but 3 of its 39,393 flows come from
 * private addresses, which have no AS and so no feature 83.
 *
 * `--layouts v1,v2,v1-direction` adds an experimental layout: v1's 79 plus 4 inputs of the
 * flow's direction that no feature version has (the source port's IANA range, and whether it
 * is one of the 16 destination ports most used in training, i.e. a service port: a flow from
 * a service port to an ephemeral one is a reply); `v2-direction`, the same 4 inputs after v2's
 * 100; `v1-locality`, v1 + whether each endpoint is non-public (Zeek's local_orig/local_resp),
 * and `v1-locality-direction`, both. Every layout gets the destination-port indicators (the
 * trainers' `portIndex`). `--split-dir .vigil/inner` runs it on an inner fold of the training
 * part (made by `vigil split --data .vigil/split/train.csv --out-dir .vigil/inner`), so a
 * layout can be judged without the hold-out.
 *
 * With `--ensemble`, the model of each layout is the Phase 2 ensemble (trainEnsemble, the
 * shipped options) instead of the MLP, scored by its own combination rule (thresholds, gate).
 *
 * `--errors-dir DIR` writes each run's misclassified hold-out rows to DIR/<layout>-seed<N>.jsonl,
 * one JSON line each, as `vigil evaluate --errors` does. `--hidden 128,64` sets the hidden
 * widths as `vigil train --hidden` does (the README's ensemble runs before the default became
 * 256,128 used 128,64).
 *
 *   npm run bench:feature-versions [-- --seeds 1,2,3 --max-epochs 80 --ensemble --hidden 128,64 --json out.json --errors-dir DIR]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { splitFile } from '../src/cli/commands/split.js';
import { layerSizes } from '../src/cli/options.js';
import type { FlowEvent } from '../src/events/flow-event.js';
import { classIndex, classOfLabel, THREAT_CLASSES } from '../src/events/threat-classes.js';
import { evaluatePredictions, type EvaluationReport } from '../src/evaluation/metrics.js';
import { misclassifiedRows, type RowSources, type ScoredChunk } from '../src/evaluation/misclassified.js';
import { argMaxRows, predictProbabilities } from '../src/inference/classifier.js';
import { applyClassThresholds, tuneClassThresholds } from '../src/learn/class-thresholds.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { readFlows } from '../src/sources/read-events.js';
import { selectRows, type LabelledRows } from '../src/training/dataset.js';
import { timeOrderedHoldout } from '../src/training/holdout.js';
import { trainClassifier, type TrainResult } from '../src/training/train.js';
import { DEFAULT_ENSEMBLE_OPTIONS, trainEnsemble, withHiddenWidths } from '../src/ensemble/train-ensemble.js';
import { EnsembleClassifier } from '../src/ensemble/ensemble-classifier.js';
import { combineMembers } from '../src/ensemble/combine.js';
import { dstPortInput, V2_DIMS } from '../src/features/vector-v2.js';
import { FLOW_VECTOR_DIMS, flowVector } from '../src/vector/flow-vector.js';
import { applyTransform, outputDims } from '../src/vector/transform.js';
import { isPublicAddress } from '../src/intel/ipv4.js';
import { openV2Pipeline } from '../src/vector/v2/open-v2-pipeline.js';

const DEFAULT_SPLIT_DIR = join(PACKAGE_ROOT, '.vigil/split');
const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: join(PACKAGE_ROOT, '../shared/data/cicids2017/train.csv') },
    'split-dir': { type: 'string', default: DEFAULT_SPLIT_DIR },
    seeds: { type: 'string', default: '1' },
    'max-epochs': { type: 'string' },
    ensemble: { type: 'boolean', default: false },
    layouts: { type: 'string', default: 'v1,v2' },
    json: { type: 'string' },
    'errors-dir': { type: 'string' },
    hidden: { type: 'string' },
  },
});
/** `--hidden 128,64`: the MLP's widths, or the ensemble's general model and router (as `vigil train --hidden`). */
const hidden = args.hidden === undefined ? undefined : layerSizes(args.hidden);

interface LabelledFlow {
  event: FlowEvent;
  /** Input file:line. */
  position: string;
  y: number;
  group: string;
  holdout: boolean;
}

async function readLabelled(path: string, holdout: boolean): Promise<LabelledFlow[]> {
  const { events, positions } = await readFlows(path);
  return events.flatMap((event, i) => {
    const label = event.label?.trim();
    const c = label ? classOfLabel(label) : undefined;
    return label && c ? [{ event, position: positions[i]!, y: classIndex(c), group: label, holdout }] : [];
  });
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The `count` most frequent values, most frequent first. */
function mostFrequent(values: readonly number[], count: number): number[] {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, count).map(([v]) => v);
}

function rowsOf(flows: readonly LabelledFlow[], dims: number, vectorOf: (f: LabelledFlow, i: number) => ArrayLike<number>): LabelledRows {
  const x = new Float32Array(flows.length * dims);
  flows.forEach((f, i) => x.set(vectorOf(f, i), i * dims));
  return { x, y: Int32Array.from(flows, (f) => f.y), dims };
}

function probabilities(result: TrainResult, rows: LabelledRows): Float32Array {
  return predictProbabilities(result.model, applyTransform(result.transform, rows.x), rows.y.length, outputDims(result.transform));
}

interface Trained {
  bestEpoch: number;
  argmax: EvaluationReport;
  tuned: EvaluationReport;
  /** The tuned decision per hold-out row, its probabilities, and (ensemble) the members: for --errors-dir. */
  scored: ScoredChunk;
}

/** The MLP, scored on the hold-out by argmax and by thresholds tuned on the validation rows. */
async function trainMlp(train: LabelledRows, validation: LabelledRows, test: LabelledRows, seed: number, name: string, portIndex: number): Promise<Trained> {
  const result = await trainClassifier(train, validation, { seed, portIndex, ...(args['max-epochs'] && { maxEpochs: Number(args['max-epochs']) }), ...(hidden && { hidden }) });
  const { thresholds } = tuneClassThresholds(probabilities(result, validation), validation.y);
  const probs = probabilities(result, test);
  result.model.dispose();
  const predicted = applyClassThresholds(probs, thresholds);
  return {
    bestEpoch: result.bestEpoch,
    argmax: evaluatePredictions(test.y, argMaxRows(probs, test.y.length, THREAT_CLASSES.length), name),
    tuned: evaluatePredictions(test.y, predicted, name),
    scored: { start: 0, y: test.y, predicted, probs },
  };
}

/**
 * The ensemble, scored on the hold-out by the plain argmax of its vote and by its full rule
 * (the thresholds and gate it tuned on the validation rows: what `vigil evaluate` scores).
 */
async function trainEnsembleModel(train: LabelledRows, validation: LabelledRows, test: LabelledRows, seed: number, name: string, portIndex: number): Promise<Trained> {
  const d = DEFAULT_ENSEMBLE_OPTIONS;
  const maxEpochs = args['max-epochs'] ? Number(args['max-epochs']) : undefined;
  const options = withHiddenWidths({ ...d, seed, portIndex, general: { ...d.general, ...(maxEpochs && { maxEpochs }) } }, hidden);
  const result = await trainEnsemble(train, validation, options);
  const ensemble = new EnsembleClassifier(result.nets, result.transform, result.settings, { version: name, featureVersion: 0, classes: [...THREAT_CLASSES] });
  // One pass of the members; the plain vote is the same members combined without thresholds or gate.
  const scored = ensemble.predictMembers(test.x, test.y.length);
  ensemble.dispose();
  const voted = combineMembers(scored.members, { ...result.settings, thresholds: new Array<number>(THREAT_CLASSES.length).fill(1), specialistGate: 0 });
  return {
    bestEpoch: result.metrics.bestEpoch,
    argmax: evaluatePredictions(test.y, voted.predicted, name),
    tuned: evaluatePredictions(test.y, scored.predicted, name),
    scored: { start: 0, y: test.y, predicted: scored.predicted, probs: scored.probs, members: scored },
  };
}

async function main(): Promise<void> {
  const splitDir = args['split-dir']!;
  if (!existsSync(join(splitDir, 'holdout.csv'))) {
    // Only the default split is made here: an inner fold cut from the whole file would be a different split under the same name.
    if (resolve(splitDir) !== DEFAULT_SPLIT_DIR) throw new Error(`--split-dir ${splitDir}: no holdout.csv there; make it with \`vigil split\``);
    await splitFile(args.data!, 0.2, splitDir);
  }
  const flows = [...(await readLabelled(join(splitDir, 'train.csv'), false)), ...(await readLabelled(join(splitDir, 'holdout.csv'), true))];
  flows.sort((a, b) => a.event.ts - b.event.ts || cmp(a.event.srcIp, b.event.srcIp) || cmp(a.event.eventId, b.event.eventId));

  const started = performance.now();
  const { pipeline } = await openV2Pipeline({ eventTimeMs: flows[0]?.event.ts }, (m) => process.stderr.write(`${m}\n`));
  const v2 = flows.map((f) => pipeline.step(f.event));
  process.stderr.write(`v2 vectors of ${flows.length} flows in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

  const train = flows.filter((f) => !f.holdout);
  const test = flows.filter((f) => f.holdout);
  const index = new Map(flows.map((f, i) => [f, i]));
  const groups = [...new Set(train.map((f) => f.group))];
  const cut = timeOrderedHoldout(Float64Array.from(train, (f) => f.event.ts), Int32Array.from(train, (f) => groups.indexOf(f.group)), 0.15);
  const seeds = args.seeds!.split(',').map(Number);

  const servicePorts = new Set(mostFrequent(train.map((f) => f.event.dstPort), 16));
  const direction = (e: FlowEvent): number[] => [e.srcPort < 1024 ? 1 : 0, e.srcPort >= 1024 && e.srcPort < 49152 ? 1 : 0, e.srcPort >= 49152 ? 1 : 0, servicePorts.has(e.srcPort) ? 1 : 0];
  // Zeek's local_orig / local_resp: is each endpoint inside the protected network (here every
  // non-public range of RFC 6890, a default a user would narrow to their own)?
  const locality = (e: FlowEvent): number[] => [isPublicAddress(e.srcIp) ? 0 : 1, isPublicAddress(e.dstIp) ? 0 : 1];
  const allLayouts = [
    { key: 'v1', name: 'v1 (79 flow features)', dims: FLOW_VECTOR_DIMS, vectorOf: (f: LabelledFlow) => flowVector(f.event) },
    { key: 'v2', name: 'v2 (100: flow + 80-100)', dims: V2_DIMS, vectorOf: (f: LabelledFlow) => v2[index.get(f)!]! },
    { key: 'v1-direction', name: 'v1 + 4 direction inputs', dims: FLOW_VECTOR_DIMS + 4, vectorOf: (f: LabelledFlow) => [...flowVector(f.event), ...direction(f.event)] },
    { key: 'v2-direction', name: 'v2 + 4 direction inputs', dims: V2_DIMS + 4, vectorOf: (f: LabelledFlow) => [...v2[index.get(f)!]!, ...direction(f.event)] },
    { key: 'v1-locality', name: 'v1 + 2 locality inputs', dims: FLOW_VECTOR_DIMS + 2, vectorOf: (f: LabelledFlow) => [...flowVector(f.event), ...locality(f.event)] },
    { key: 'v1-locality-direction', name: 'v1 + locality + direction', dims: FLOW_VECTOR_DIMS + 6, vectorOf: (f: LabelledFlow) => [...flowVector(f.event), ...locality(f.event), ...direction(f.event)] },
  ];
  // Every layout starts with the 79 flow features, so the destination port sits where v1 has it.
  const portIndex = dstPortInput(FLOW_VECTOR_DIMS);
  const layouts = args.layouts!.split(',').map((key) => {
    const layout = allLayouts.find((l) => l.key === key);
    if (!layout) throw new Error(`--layouts: unknown layout ${key} (${allLayouts.map((l) => l.key).join(', ')})`);
    return layout;
  });
  const results: { layout: string; seed: number; dims: number; bestEpoch: number; trainingSeconds: number; argmax: EvaluationReport; tuned: EvaluationReport }[] = [];
  const fit = args.ensemble ? trainEnsembleModel : trainMlp;
  // --errors-dir: each run's misclassified hold-out rows (the tuned decision), as `vigil evaluate --errors` writes them.
  const errorsDir = args['errors-dir'];
  if (errorsDir) mkdirSync(errorsDir, { recursive: true });
  const testGroups = [...new Set(test.map((f) => f.group))];
  const testSources: RowSources = {
    classes: THREAT_CLASSES,
    origins: test.map(({ event: e, position }) => ({ position, srcIp: e.srcIp, srcPort: e.srcPort, dstIp: e.dstIp, dstPort: e.dstPort, protocol: e.protocol })),
    labels: testGroups,
    labelGroup: Int32Array.from(test, (f) => testGroups.indexOf(f.group)),
  };
  for (const seed of seeds) {
    for (const layout of layouts) {
      const trainRows = rowsOf(train, layout.dims, layout.vectorOf);
      const t0 = performance.now();
      const reports = await fit(selectRows(trainRows, cut.train), selectRows(trainRows, cut.holdout), rowsOf(test, layout.dims, layout.vectorOf), seed, layout.name, portIndex);
      const seconds = (performance.now() - t0) / 1000;
      results.push({ layout: layout.name, seed, dims: layout.dims, bestEpoch: reports.bestEpoch, trainingSeconds: seconds, argmax: reports.argmax, tuned: reports.tuned });
      if (errorsDir) {
        const file = join(errorsDir, `${layout.key}-seed${seed}.jsonl`);
        writeFileSync(file, misclassifiedRows(reports.scored, testSources).map((row) => JSON.stringify(row) + '\n').join(''));
      }
      process.stderr.write(`seed ${seed} ${layout.name}: macro-F1 ${reports.argmax.macroF1.toFixed(4)} (${args.ensemble ? 'full rule' : 'tuned'} ${reports.tuned.macroF1.toFixed(4)}, benign FPR ${(reports.tuned.benignFPR * 100).toFixed(2)}%)\n`);
    }
  }

  const pad = (s: string, n: number) => s.padEnd(n);
  console.log(`model: ${args.ensemble ? 'ensemble ("tuned" = its full rule: thresholds + gate)' : 'MLP'}`);
  console.log(`hold-out: ${test.length} flows never trained on; training: ${cut.train.length} rows, validation ${cut.holdout.length}; seeds ${seeds.join(', ')}`);
  console.log(`${pad('layout', 26)}${pad('seed', 6)}${pad('decision', 10)}${pad('macro-F1', 10)}${pad('benign FPR', 12)}${pad('errors', 8)}${THREAT_CLASSES.map((c) => pad(`R ${c}`, 14)).join('')}epoch  train s`);
  for (const r of results) {
    for (const [decision, report] of [['argmax', r.argmax], ['tuned', r.tuned]] as const) {
      const errors = report.confusion.reduce((sum, row, i) => sum + row.reduce((a, v, j) => a + (i === j ? 0 : v), 0), 0);
      const recall = THREAT_CLASSES.map((c) => pad(report.perClass[c].recall.toFixed(4), 14)).join('');
      console.log(`${pad(r.layout, 26)}${pad(String(r.seed), 6)}${pad(decision, 10)}${pad(report.macroF1.toFixed(4), 10)}${pad(`${(report.benignFPR * 100).toFixed(2)}%`, 12)}${pad(String(errors), 8)}${recall}${pad(String(r.bestEpoch), 7)}${r.trainingSeconds.toFixed(0)}`);
    }
  }
  for (const decision of ['argmax', 'tuned'] as const) {
    const mean = (name: string) => {
      const xs = results.filter((r) => r.layout === name).map((r) => r[decision].macroF1);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    const [first, ...others] = layouts;
    const gains = others.map((l) => `${l.key} - ${first!.key} = ${((mean(l.name) - mean(first!.name)) * 100).toFixed(2)} points`);
    console.log(`${decision}: mean macro-F1 ${layouts.map((l) => `${l.key} ${mean(l.name).toFixed(4)}`).join(', ')}${gains.length ? `: ${gains.join(', ')}` : ''}`);
  }
  if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 2));
}

await main();
