import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THREAT_CLASSES } from '../../src/events/threat-classes.js';
import { ModelError } from '../../src/errors/vigil-error.js';
import { initBackend } from '../../src/inference/backend.js';
import { Classifier, loadClassifier } from '../../src/inference/classifier.js';
import { loadModel, saveModel, type ModelManifest } from '../../src/inference/model-store.js';
import { buildMlp } from '../../src/training/mlp.js';
import { fitTransform, outputDims } from '../../src/vector/transform.js';
import { syntheticFlows } from './synthetic.js';

const root = mkdtempSync(join(tmpdir(), 'vigil-model-store-'));
const data = syntheticFlows([20, 20, 20, 20, 20, 20, 20], 7);
const n = data.y.length;
const transform = fitTransform(data.x, data.dims, { portIndex: 0 });
let dir: string;
let original: Classifier;
let manifest: ModelManifest;

/** A copy of the saved model directory with one file changed by `edit`. */
function variant(name: string, file: string, edit: (bytes: Buffer) => Buffer | string): string {
  const target = join(root, name);
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  for (const f of ['model.json', 'weights.bin', 'transform.json', 'manifest.json']) {
    const bytes = readFileSync(join(dir, f));
    writeFileSync(join(target, f), f === file ? edit(bytes) : bytes);
  }
  return target;
}

beforeAll(async () => {
  await initBackend();
  const model = buildMlp({ dims: outputDims(transform), hidden: [16], classes: 7, seed: 3 });
  original = new Classifier(model, transform, { version: 'orig', featureVersion: 1, classes: [...THREAT_CLASSES] });
  dir = join(root, 'm1');
  manifest = await saveModel(dir, { model, transform, version: 'test-1', trainingConfig: { seed: 3 }, metrics: { macroF1: 0.5 } });
});

afterAll(() => {
  original.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('saveModel / loadModel', () => {
  it('writes a manifest describing the model and hashing every file', () => {
    const onDisk = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
    expect(onDisk).toEqual(manifest);
    expect(onDisk).toMatchObject({ version: 'test-1', featureVersion: 1, featureLayout: 'flow-v1', dims: 79, trainingConfig: { seed: 3 }, metrics: { macroF1: 0.5 } });
    expect(onDisk.classes).toEqual(['normal', 'dos', 'recon', 'brute_force', 'web_attack', 'botnet', 'intrusion']);
    expect(Object.keys(onDisk.files).sort()).toEqual(['model.json', 'transform.json', 'weights.bin']);
    const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(modelJson.weightsManifest[0].paths).toEqual(['./weights.bin']);
    expect(JSON.parse(readFileSync(join(dir, 'transform.json'), 'utf8'))).toEqual(transform);
  });

  it('reloads to bit-identical predictions', async () => {
    const loaded = await loadClassifier(dir);
    expect(loaded.version).toBe('test-1');
    expect(loaded.featureVersion).toBe(1);
    expect(loaded.classes).toEqual(manifest.classes);
    const a = original.predictBatch(data.x, n);
    const b = loaded.predictBatch(data.x, n);
    expect(Buffer.from(b.probs.buffer, b.probs.byteOffset, b.probs.byteLength)).toEqual(
      Buffer.from(a.probs.buffer, a.probs.byteOffset, a.probs.byteLength),
    );
    expect(b.predicted).toEqual(a.predicted);
    loaded.dispose();
  });

  it('refuses a tampered weights.bin', async () => {
    const target = variant('tampered', 'weights.bin', (b) => {
      const c = Buffer.from(b);
      c[10] = c[10]! ^ 0x01;
      return c;
    });
    await expect(loadModel(target)).rejects.toThrow(ModelError);
    await expect(loadModel(target)).rejects.toThrow(/weights\.bin .*sha256/);
  });

  it('refuses a model of another feature version, layout or class order', async () => {
    const edits: [string, (m: ModelManifest) => void, RegExp][] = [
      // Version 2 is known, but its layout is security-v2 with 100 inputs, not this model's.
      ['fv2', (m) => (m.featureVersion = 2), /feature version 2 \(flow-v1\); in this build feature version 2 is security-v2: retrain/],
      ['fv9', (m) => (m.featureVersion = 9), /feature version 9; this build knows 1 \(flow-v1\), 2 \(security-v2\)/],
      ['fv2-dims', (m) => Object.assign(m, { featureVersion: 2, featureLayout: 'security-v2' }), /takes 79 features; feature version 2 \(security-v2\) has 100/],
      ['dims', (m) => (m.dims = 80), /80 features/],
      ['classes', (m) => m.classes.reverse(), /classes/],
      ['escape', (m) => (m.files['../m1/weights.bin'] = 'x'), /invalid file/],
    ];
    for (const [name, edit, message] of edits) {
      const target = variant(name, 'manifest.json', (b) => {
        const m = JSON.parse(b.toString()) as ModelManifest;
        edit(m);
        return JSON.stringify(m);
      });
      const err = await loadModel(target).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(ModelError);
      expect((err as Error).message, name).toMatch(message);
    }
  });

  it('refuses a transform that does not fit the network', async () => {
    const target = variant('narrow', 'transform.json', (b) => {
      // A valid transform with one port indicator instead of the network's several.
      const t = JSON.parse(b.toString()) as typeof transform;
      const keep = <T>(a: T[]) => [...a.slice(0, t.dims + 1), ...a.slice(-3)];
      return JSON.stringify({ ...t, ports: t.ports.slice(0, 1), mean: keep(t.mean), std: keep(t.std) });
    });
    const m = JSON.parse(readFileSync(join(target, 'manifest.json'), 'utf8')) as ModelManifest;
    m.files['transform.json'] = createHash('sha256').update(readFileSync(join(target, 'transform.json'))).digest('hex');
    writeFileSync(join(target, 'manifest.json'), JSON.stringify(m));
    await expect(loadModel(target)).rejects.toThrow(/network maps/);
  });

  it('saves only for a known feature version, with a transform of that version\'s width', async () => {
    const model = buildMlp({ dims: outputDims(transform), hidden: [4], classes: 7, seed: 1 });
    try {
      await expect(saveModel(join(root, 'fv9'), { model, transform, featureVersion: 9 })).rejects.toThrow(/feature version 9; this build knows/);
      // A 79-input transform cannot be a feature-version-2 model (100 inputs).
      await expect(saveModel(join(root, 'fv2-79'), { model, transform, featureVersion: 2 })).rejects.toThrow(/refusing to save: transform/);
    } finally {
      model.dispose();
    }
  });

  it('refuses a directory without a manifest', async () => {
    await expect(loadModel(join(root, 'nothing-here'))).rejects.toThrow(ModelError);
  });
});
