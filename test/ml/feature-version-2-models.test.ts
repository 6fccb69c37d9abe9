import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SAMPLE } from '../../src/cli/commands/detect.js';
import { runFeatures } from '../../src/cli/run-features.js';
import { servesThroughPipeline } from '../../src/cli/serve-pipeline.js';
import { parseServeSettings } from '../../src/config/serve-settings.js';
import { loadLabeledFlows, type LabeledFlows } from '../../src/datasets/labeled-flows.js';
import { loadFlowClassifier } from '../../src/ensemble/load-flow-classifier.js';
import { ModelError } from '../../src/errors/vigil-error.js';
import type { FlowEvent } from '../../src/events/flow-event.js';
import { isSecurityEvent } from '../../src/events/security-events.js';
import { THREAT_CLASSES } from '../../src/events/threat-classes.js';
import { projectVector } from '../../src/features/registry.js';
import { initBackend } from '../../src/inference/backend.js';
import type { ModelManifest } from '../../src/inference/model-store.js';
import { createFlowEncoder } from '../../src/kafka/flow-codec.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { RegistryModelProvider } from '../../src/registry/registry-model-provider.js';
import { VECTORIZED_MODELS } from '../../src/stages/vectorize.js';
import { openMigratedOfflineStore } from '../../src/store/open-stores.js';
import type { FeatureLine } from '../../src/vector/v2/feature-line-sink.js';
import { decodeAll, writeV2Inputs } from '../features/v2-fixtures.js';
import { hiddenUnits } from '../helpers/saved-network.js';
import { tempRegistry } from '../registry/temp-registry.js';

/**
 * A model trained on feature-version-2 rows: the rows `vigil train` and `vigil evaluate` build
 * must be the vectors `vigil features`, `vigil detect` and `vigil serve` serve it, and a serve
 * on the detect topology (flow-v1 vectors) must refuse the model instead of scoring wrong inputs.
 * (Served on Kafka: test/serve/serve-feature-pipeline.test.ts.)
 */
const run = promisify(execFile);
const VIGIL = join(PACKAGE_ROOT, 'bin', 'vigil.js');
const root = mkdtempSync(join(tmpdir(), 'vigil-fv2-'));
const modelsDir = join(root, 'models');
const modelDir = join(modelsDir, 'fv2');
let v2: LabeledFlows;

beforeAll(async () => {
  await initBackend();
  v2 = await loadLabeledFlows([DEMO_SAMPLE], undefined, { featureVersion: 2 });
  // The demo sample (2,926 real hold-out flows, every one labelled): small enough to train on here.
  await run(process.execPath, [VIGIL, 'train', '--feature-version', '2', '--data', DEMO_SAMPLE, '--version', 'fv2', '--models-dir', modelsDir, '--max-epochs', '2', '--hidden', '40', '--backend', 'wasm'], { cwd: PACKAGE_ROOT });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

const linesOf = (path: string): FeatureLine[] => readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as FeatureLine);

describe('labelled rows of feature version 2', () => {
  it('are the vectors vigil features computes for the same file, and their first 79 dims are the v1 rows', async () => {
    const out = join(root, 'features.jsonl');
    await runFeatures({ inputs: [DEMO_SAMPLE], out, dlq: null, batchSize: 64, batchWaitMs: 5 });
    const lines = linesOf(out);
    expect(v2.featureVersion).toBe(2);
    expect(v2.dims).toBe(100);
    expect(v2.rows).toBe(lines.length);
    expect(v2.rows).toBe(2926);
    lines.forEach((line, i) => expect(Array.from(v2.x.subarray(i * 100, (i + 1) * 100))).toEqual(line.vector.map(Math.fround)));
    // Features 80-100 are not constant here: the pipeline's per-source state reached the rows.
    const distinct = new Set(Array.from({ length: v2.rows }, (_, i) => v2.x[i * 100 + 94]));
    expect(distinct.size).toBeGreaterThan(5);

    const v1 = await loadLabeledFlows([DEMO_SAMPLE]);
    expect(v1.featureVersion).toBe(1);
    expect(Array.from(v1.y)).toEqual(Array.from(v2.y));
    for (let i = 0; i < v1.rows; i += 97) {
      expect(Array.from(projectVector(v2.x.subarray(i * 100, (i + 1) * 100), 2, 1))).toEqual(Array.from(v1.x.subarray(i * 79, (i + 1) * 79)));
    }
  });

  it('also step the auth and command events of the files: a flow after a honeypot session gets that source\'s behavioral features', async () => {
    const { cowrie, dir } = writeV2Inputs();
    const sessions = (await decodeAll(cowrie)).events.filter(isSecurityEvent);
    const last = sessions.at(-1)!;
    const [flow] = (await decodeAll(DEMO_SAMPLE)).events as FlowEvent[];
    const after = join(dir, 'flow-after-session.jsonl');
    writeFileSync(after, createFlowEncoder({ type: 'json' })({ ...flow!, srcIp: last.srcIp, ts: last.ts + 1_000, eventId: 'after-session' }).toString('utf8') + '\n');

    const withSession = await loadLabeledFlows([cowrie, after], undefined, { featureVersion: 2 });
    const alone = await loadLabeledFlows([after], undefined, { featureVersion: 2 });
    const out = join(dir, 'after.jsonl');
    await runFeatures({ inputs: [cowrie, after], out, dlq: null, batchSize: 64, batchWaitMs: 5 });
    const line = linesOf(out).find((l) => l.eventId === 'after-session')!;
    expect(withSession.rows).toBe(1);
    expect(Array.from(withSession.x)).toEqual(line.vector.map(Math.fround));
    // Features 85-94 (sequence, commands, timing, sessions, failed auth) saw the session only with it.
    const behavioral = (rows: LabeledFlows) => Array.from(rows.x.subarray(84, 94));
    expect(behavioral(withSession)).not.toEqual(behavioral(alone));
    rmSync(dir, { recursive: true, force: true });
  });

  it('fold labels into feature 83 only for training rows: rows that will be scored never see earlier labels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-fv2-outcomes-'));
    const [flow] = (await decodeAll(DEMO_SAMPLE)).events as FlowEvent[];
    // 1,100 attacks from one public source (an AS in the shared table): more than the pipeline's
    // outcome lag (1,024 steps), so the first labels are due before the last rows.
    const encode = createFlowEncoder({ type: 'json' });
    const file = join(dir, 'public-attacks.jsonl');
    const lines = Array.from({ length: 1100 }, (_, i) => encode({ ...flow!, srcIp: '8.8.8.8', ts: flow!.ts + i * 10, eventId: `a${i}`, label: 'DoS Hulk' }).toString('utf8'));
    writeFileSync(file, lines.join('\n') + '\n');
    const asn83 = (rows: LabeledFlows) => rows.x[(rows.rows - 1) * 100 + 82];
    const scored = await loadLabeledFlows([file], undefined, { featureVersion: 2 });
    const training = await loadLabeledFlows([file], undefined, { featureVersion: 2, labelsAsOutcomes: true });
    // The prior share of attacks for a known AS without verdicts (schemas/features-v2/threat-intel.json).
    expect(asn83(scored)).toBeCloseTo(0.1, 6);
    expect(asn83(training)).toBeGreaterThan(0.5);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a feature version this build cannot compute', async () => {
    await expect(loadLabeledFlows([DEMO_SAMPLE], undefined, { featureVersion: 9 })).rejects.toThrow(/unknown feature version 9/);
  });
});

describe('vigil train --feature-version 2', () => {
  it('records feature version 2 (security-v2, 100 inputs) in the manifest, and evaluate scores it on v2 rows', async () => {
    const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as ModelManifest;
    expect([manifest.featureVersion, manifest.featureLayout, manifest.dims]).toEqual([2, 'security-v2', 100]);
    // --hidden shapes the single MLP too.
    expect(hiddenUnits(join(modelDir, 'model.json'))).toEqual([40]);
    const { stdout } = await run(process.execPath, [VIGIL, 'evaluate', '--data', DEMO_SAMPLE, '--model', modelDir, '--json', '--backend', 'wasm'], { cwd: PACKAGE_ROOT });
    const report = JSON.parse(stdout) as { model: string; perClass: Record<string, { support: number }> };
    expect(report.model).toBe('fv2');
    expect(THREAT_CLASSES.reduce((sum, c) => sum + report.perClass[c]!.support, 0)).toBe(2926);
  });

  it('is served by vigil features: each verdict is the model on the row evaluate builds', async () => {
    const offline = join(root, 'offline.sqlite');
    await runFeatures({ inputs: [DEMO_SAMPLE], out: join(root, 'scored.jsonl'), dlq: null, batchSize: 64, batchWaitMs: 5, model: modelDir, offline });
    const store = await openMigratedOfflineStore(offline);
    const verdicts = new Map<string, { class: string; modelVersion: string; featureVersion: number }>();
    for await (const rows of store.scan('verdicts')) for (const v of rows) verdicts.set(v.eventKey, v);
    await store.close();

    const classifier = await loadFlowClassifier(modelDir);
    const expected = classifier.predictBatch(v2.x, v2.rows).predicted;
    classifier.dispose();
    const { events } = await decodeAll(DEMO_SAMPLE);
    expect(verdicts.size).toBe(events.length);
    events.forEach((e, i) => {
      const v = verdicts.get(e.eventId);
      expect(v).toMatchObject({ modelVersion: 'fv2', featureVersion: 2, class: THREAT_CLASSES[expected[i]!] });
    });
  });

  it('as CURRENT, is refused by a registry-following serve on the detect topology, which keeps its model; one on the features topology switches', async () => {
    const registry = tempRegistry();
    cpSync(modelDir, join(registry, 'fv2'), { recursive: true });
    const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const serving = await RegistryModelProvider.open({ modelsDir: registry, env: {}, log: quiet, accept: VECTORIZED_MODELS });
    const anyVersion = await RegistryModelProvider.open({ modelsDir: registry, env: {}, log: quiet });
    writeFileSync(join(registry, 'CURRENT'), 'fv2\n');
    expect(await serving.refresh()).toMatchObject({ outcome: 'failed', serving: 'v1', wanted: 'fv2', error: expect.objectContaining({ message: expect.stringMatching(/takes feature version 2/) }) });
    expect(serving.current().predictBatch(new Float32Array(79), 1).predicted).toHaveLength(1);
    expect(await anyVersion.refresh()).toEqual({ outcome: 'switched', serving: 'fv2', from: 'v1' });
    expect(anyVersion.current().dims).toBe(100);
    serving.close();
    anyVersion.close();
    rmSync(registry, { recursive: true, force: true });
  });

  it('is scored by vigil detect through the feature pipeline: its verdicts are the model on those rows', async () => {
    const out = join(root, 'verdicts.jsonl');
    const { stdout } = await run(process.execPath, [VIGIL, 'detect', '--data', DEMO_SAMPLE, '--model', modelDir, '--out', out, '--backend', 'wasm'], { cwd: PACKAGE_ROOT });
    expect(stdout).toMatch(/model fv2 .*\n.*records 2926 {2}events scored 2926 {2}dead-lettered 0/);
    const verdicts = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { class: string; featureVersion: number; modelVersion: string });
    const classifier = await loadFlowClassifier(modelDir);
    const expected = classifier.predictBatch(v2.x, v2.rows).predicted;
    classifier.dispose();
    expect(verdicts.map((v) => [v.class, v.featureVersion, v.modelVersion])).toEqual(Array.from(expected, (c) => [THREAT_CLASSES[c], 2, 'fv2']));
  });

  it('makes vigil serve run the features topology; a serve on the detect topology refuses it by name', async () => {
    const settings = (model: string, featurePipeline = false) => parseServeSettings({ model, featurePipeline });
    expect(await servesThroughPipeline(settings(modelDir))).toBe(true);
    expect(await servesThroughPipeline(settings('v1'))).toBe(false);
    expect(await servesThroughPipeline(settings('v1', true))).toBe(true);
    await expect(loadFlowClassifier(modelDir, VECTORIZED_MODELS)).rejects.toThrow(
      /takes feature version 2 \(security-v2\) vectors; vigil serve on the detect topology gives feature version 1 \(flow-v1\): serve it with --feature-pipeline/,
    );
  });
});
