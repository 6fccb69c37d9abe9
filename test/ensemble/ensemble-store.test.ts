import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnsembleClassifier } from '../../src/ensemble/ensemble-classifier.js';
import { loadEnsemble, saveEnsemble } from '../../src/ensemble/ensemble-store.js';
import { loadFlowClassifier } from '../../src/ensemble/load-flow-classifier.js';
import { ModelError } from '../../src/errors/vigil-error.js';
import { THREAT_CLASSES } from '../../src/events/threat-classes.js';
import { initBackend } from '../../src/inference/backend.js';
import { Classifier, loadClassifier } from '../../src/inference/classifier.js';
import { loadModel, saveModel } from '../../src/inference/model-store.js';
import { buildMlp } from '../../src/training/mlp.js';
import { fitTransform, outputDims } from '../../src/vector/transform.js';
import { syntheticFlows } from '../ml/synthetic.js';

const K = THREAT_CLASSES.length;
const root = mkdtempSync(join(tmpdir(), 'vigil-ensemble-store-'));
const data = syntheticFlows([30, 30, 30, 30, 30, 30, 30], 11);
const n = data.y.length;
const transform = fitTransform(data.x, data.dims, { portIndex: 0 });
const width = outputDims(transform);
const settings = {
  routerThreshold: 0.3,
  weights: { general: [1, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4], router: new Array<number>(K).fill(0.5), specialists: [0, 1, 1, 1, 1, 1, 1] },
  thresholds: [0.5, 1, 1, 1, 1, 1, 1],
  // Not the default, so the reload test shows the rule travels with the model.
  fallback: 'panel' as const,
};
let original: EnsembleClassifier;
let dir: string;

function rowSums(probs: Float32Array, width: number): number[] {
  return Array.from({ length: probs.length / width }, (_, r) => probs.subarray(r * width, (r + 1) * width).reduce((s, v) => s + v, 0));
}

beforeAll(async () => {
  await initBackend();
  // Untrained members with distinct seeds and temperatures: storage must not care how good they are.
  const net = (classes: number, seed: number, temperature: number) => ({ model: buildMlp({ dims: width, hidden: [8], classes, seed }), temperature });
  const nets = { general: net(K, 1, 1.5), router: net(K, 2, 0.7), specialists: [undefined, ...THREAT_CLASSES.slice(1).map((_, i) => net(2, 10 + i, 1 + i / 10))] };
  original = new EnsembleClassifier(nets, transform, settings, { version: 'ens-test', featureVersion: 1, classes: [...THREAT_CLASSES] });
  dir = join(root, 'ens-test');
  await saveEnsemble(dir, { nets, transform, settings, version: 'ens-test', trainingConfig: { seed: 1 }, metrics: {} });
});

afterAll(() => {
  original.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('ensemble model directory', () => {
  it('lists every member file with its sha256 in the manifest', () => {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: Record<string, string>; architecture: string; kind: string };
    expect(manifest.architecture).toBe('ensemble');
    expect(manifest.kind).toBe('flow-classifier');
    const expected = ['model.json', 'weights.bin', 'router.json', 'router.bin', 'transform.json', 'ensemble.json'];
    for (const c of THREAT_CLASSES.slice(1)) expected.push(`specialist-${c}.json`, `specialist-${c}.bin`);
    expect(Object.keys(manifest.files).sort()).toEqual(expected.sort());
    for (const hash of Object.values(manifest.files)) expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reloads with identical predictions and member probabilities', async () => {
    const loaded = await loadFlowClassifier(dir);
    expect(loaded).toBeInstanceOf(EnsembleClassifier);
    const before = original.predictMembers(data.x, n);
    const after = (loaded as EnsembleClassifier).predictMembers(data.x, n);
    expect(Array.from(after.probs)).toEqual(Array.from(before.probs));
    expect(Array.from(after.predicted)).toEqual(Array.from(before.predicted));
    expect(Array.from(after.members.router)).toEqual(Array.from(before.members.router));
    expect(Array.from(after.members.specialists[6]!)).toEqual(Array.from(before.members.specialists[6]!));
    expect(loaded.version).toBe('ens-test');
    expect((loaded as EnsembleClassifier).settings.fallback).toBe('panel');
    loaded.dispose();
  });

  it('exposes every member as a distribution per row, and the agreement in [0, 1]', () => {
    const p = original.predictMembers(data.x, n);
    for (const s of [...rowSums(p.members.general, K), ...rowSums(p.members.router, K), ...rowSums(p.probs, K)]) expect(s).toBeCloseTo(1, 5);
    for (let c = 1; c < K; c++) for (const s of rowSums(p.members.specialists[c]!, 2)) expect(s).toBeCloseTo(1, 5);
    expect(p.members.specialists[0]).toBeUndefined();
    // Temperatures differ from 1, so the calibrated outputs are not the raw ones.
    expect(p.agreement.every((a) => a >= 0 && a <= 1)).toBe(true);
    const batch = original.predictBatch(data.x, n);
    expect(Array.from(batch.predicted)).toEqual(Array.from(p.predicted));
  });

  it('refuses a directory whose member file was changed, naming the file', async () => {
    const bad = join(root, 'corrupt');
    cpSync(dir, bad, { recursive: true });
    const file = join(bad, 'specialist-web_attack.bin');
    const bytes = readFileSync(file);
    bytes[7] = bytes[7]! ^ 0xff;
    writeFileSync(file, bytes);
    await expect(loadFlowClassifier(bad)).rejects.toThrow(ModelError);
    await expect(loadEnsemble(bad)).rejects.toThrow(/specialist-web_attack\.bin does not match its sha256/);
    // The registry's load check (loadModel) verifies every listed file too.
    await expect(loadModel(bad)).rejects.toThrow(/specialist-web_attack\.bin/);
  });

  it('refuses, at load, a fallback rule this build does not know (a model from a newer build), checksums intact', async () => {
    const newer = join(root, 'newer-rule');
    cpSync(dir, newer, { recursive: true });
    const specFile = join(newer, 'ensemble.json');
    const spec = JSON.parse(readFileSync(specFile, 'utf8')) as { combine: { fallback: string } };
    spec.combine.fallback = 'vote';
    const text = JSON.stringify(spec, null, 2);
    writeFileSync(specFile, text);
    const manifestFile = join(newer, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { files: Record<string, string> };
    manifest.files['ensemble.json'] = createHash('sha256').update(text).digest('hex');
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
    await expect(loadEnsemble(newer)).rejects.toThrow(/names fallback "vote"; this build knows general, panel/);
  });

  it('is refused by the single-network loader instead of being served as its general model', async () => {
    await expect(loadClassifier(dir)).rejects.toThrow(/is an ensemble, not a single network/);
  });

  it('still loads a single-model (v1) directory as a plain classifier', async () => {
    const single = join(root, 'single');
    const model = buildMlp({ dims: width, hidden: [8], classes: K, seed: 5 });
    await saveModel(single, { model, transform, version: 'single' });
    model.dispose();
    const loaded = await loadFlowClassifier(single);
    expect(loaded).toBeInstanceOf(Classifier);
    expect(rowSums(loaded.predictBatch(data.x, n).probs, K).every((s) => Math.abs(s - 1) < 1e-5)).toBe(true);
    loaded.dispose();
  });
});
