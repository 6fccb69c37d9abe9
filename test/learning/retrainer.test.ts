/**
 * The retrainer's parts on real CICIDS2017 rows and an embedded (SQLite) offline store:
 * balancing that keeps the input rows and grows only small classes, samples projected from
 * v2 vectors, determinism with a seed, and the history row it writes.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLabeledFlows, type LabeledFlows } from '../../src/datasets/labeled-flows.js';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { THREAT_CLASSES } from '../../src/events/threat-classes.js';
import { EnsembleCandidateTrainer, MlpCandidateTrainer } from '../../src/learning/candidate-trainer.js';
import { EnsembleClassifier } from '../../src/ensemble/ensemble-classifier.js';
import { loadFlowClassifier } from '../../src/ensemble/load-flow-classifier.js';
import { DEFAULT_ENSEMBLE_OPTIONS } from '../../src/ensemble/train-ensemble.js';
import { balanceRawRows, balanceTargets } from '../../src/learning/raw-balance.js';
import { collectedRows } from '../../src/learning/retrain-data.js';
import { formatRetrainHistory, readRetrainHistory } from '../../src/learning/retrain-history.js';
import { candidateTrainer } from '../../src/learning/learn-service.js';
import { Retrainer } from '../../src/learning/retrainer.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../src/training/train.js';
import { hiddenUnits } from '../helpers/saved-network.js';
import type { RetrainJob } from '../../src/learning/retrain-scheduler.js';
import { ModelRegistry } from '../../src/registry/model-registry.js';
import type { TrainingSample } from '../../src/store/offline-store.js';
import { SqliteOfflineStore } from '../../src/store/sqlite/sqlite-offline-store.js';
import { scoredPool, weakRegistry, writeRetrainData, type RetrainData } from './retrain-fixture.js';

let data: RetrainData;
let base: LabeledFlows;
let samples: TrainingSample[];
const cleanup: string[] = [];

const job = (id: string, startedAtMs: number): RetrainJob => ({ id, data: { windowStartMs: null, triggeredAtMs: startedAtMs, reasons: ['new-samples: 80 >= 50'] }, startedAtMs });

beforeAll(async () => {
  data = writeRetrainData({ base: 200, holdout: 100, pool: 40 });
  cleanup.push(data.dir);
  base = await loadLabeledFlows([data.base]);
  const pool = await scoredPool(data.pool, 'evt', 1_000, 'weak');
  samples = pool.map((f, i) => ({
    eventKey: f.vector.eventId, ts: 2_000 + i, features: f.vector.vector, label: f.label, mlLabel: 'normal',
    featureVersion: 2, modelVersion: 'weak', source: 'analyst', threatScore: null,
  }));
}, 60_000);
afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

async function sqliteStore(name: string): Promise<SqliteOfflineStore> {
  const store = new SqliteOfflineStore({ path: join(data.dir, `${name}.sqlite`) });
  await store.migrate();
  return store;
}

/** A registry whose CURRENT is a weak model, and a store holding the collected samples. */
async function weakRegistryWithSamples(name: string): Promise<{ modelsDir: string; store: SqliteOfflineStore }> {
  const modelsDir = await weakRegistry(base, 200);
  cleanup.push(dirname(modelsDir));
  const store = await sqliteStore(name);
  await store.insertTrainingSamples(samples);
  return { modelsDir, store };
}

describe('balanceRawRows', () => {
  it('keeps every input row as it was, grows only classes below the floor, and repeats itself for a seed', () => {
    const counts = THREAT_CLASSES.map((_, c) => base.y.filter((y) => y === c).length);
    const targets = balanceTargets(base.y, 150);
    // The fixture has fewer than 150 web attacks and intrusions, and plenty of the rest.
    expect(Object.keys(targets).sort()).toEqual(THREAT_CLASSES.filter((_, c) => counts[c]! > 0 && counts[c]! < 150).sort());
    expect(Object.keys(targets)).toContain('intrusion');

    const a = balanceRawRows(base, { minClassRows: 150, seed: 3 });
    const n = base.rows;
    expect(a.rows.x.subarray(0, n * base.dims)).toEqual(base.x);
    expect(a.rows.y.subarray(0, n)).toEqual(base.y);
    THREAT_CLASSES.forEach((c, i) => {
      const after = a.rows.y.filter((y) => y === i).length;
      expect(after, c).toBe(counts[i]! > 0 && counts[i]! < 150 ? 150 : counts[i]);
      expect(a.generated[c], c).toBe(after - counts[i]!);
    });
    expect(a.rows.x.subarray(n * base.dims).every(Number.isFinite)).toBe(true);

    const again = balanceRawRows(base, { minClassRows: 150, seed: 3 });
    expect(again.rows.x).toEqual(a.rows.x);
    const other = balanceRawRows(base, { minClassRows: 150, seed: 4 });
    expect(other.rows.x.subarray(n * base.dims)).not.toEqual(a.rows.x.subarray(n * base.dims));
  });

  it('returns the rows as they are when no class is below the floor', () => {
    const same = balanceRawRows(base, { minClassRows: 1, seed: 1 });
    expect(same.rows).toBe(base);
    expect(Object.values(same.generated).every((g) => g === 0)).toBe(true);
  });
});

describe('collectedRows', () => {
  it('projects v2 samples to the 79 flow features and counts versions it cannot project', async () => {
    const store = await sqliteStore('collected');
    try {
      const odd: TrainingSample = { ...samples[0]!, eventKey: 'v3', featureVersion: 3, features: [1, 2, 3] };
      await store.insertTrainingSamples([...samples.slice(0, 5), odd]);
      const rows = await collectedRows(store, {}, 1, 79);
      expect(rows).toMatchObject({ read: 6, unprojectable: { 3: 1 }, dims: 79 });
      expect(Array.from(rows.y)).toEqual(samples.slice(0, 5).map((s) => THREAT_CLASSES.indexOf(s.label)));
      // The projection gives back the flow's own v1 vector (NaN where a feature was missing).
      const pool = await loadLabeledFlows([data.pool]);
      expect(rows.x).toEqual(pool.x.subarray(0, 5 * 79));
    } finally {
      await store.close();
    }
  });
});

describe('Retrainer', () => {
  it('refuses settings without base or hold-out data', async () => {
    const store = await sqliteStore('settings');
    try {
      expect(() => new Retrainer({ modelsDir: data.dir, baseData: [], holdoutData: [data.holdout], store })).toThrow(ConfigError);
      expect(() => new Retrainer({ modelsDir: data.dir, baseData: [data.base], holdoutData: [], store })).toThrow(ConfigError);
      expect(() => new Retrainer({ modelsDir: data.dir, baseData: [data.base], holdoutData: [data.holdout], store, validationShare: 1 })).toThrow(ConfigError);
    } finally {
      await store.close();
    }
  });

  it('trains the same candidate from the same inputs and seed, records lineage, and writes its history row', async () => {
    const first = await weakRegistry(base, 200);
    const second = join(dirname(first), 'copy');
    cpSync(first, second, { recursive: true });
    cleanup.push(dirname(first));
    const store = await sqliteStore('determinism');
    try {
      await store.insertTrainingSamples(samples);
      const trainer = new MlpCandidateTrainer({ maxEpochs: 6, patience: 3 });
      const startedAt = Date.parse('2026-12-01T10:00:00Z');
      const reports = [];
      for (const modelsDir of [first, second]) {
        // With SMOTE on, so the balancing is part of what must repeat.
        const retrainer = new Retrainer({ modelsDir, baseData: [data.base], holdoutData: [data.holdout], store, trainer, seed: 11, minClassRows: 150 });
        reports.push(await retrainer.run(job(`retrain-${modelsDir === first ? 'a' : 'b'}`, startedAt)));
      }
      const [a, b] = reports;
      expect(a!.run.candidateVersion).toBe('r20261201T100000Z');
      expect(b!.run.candidateVersion).toBe(a!.run.candidateVersion);
      const weights = (dir: string) => readFileSync(join(dir, a!.run.candidateVersion, 'weights.bin'));
      expect(weights(second).equals(weights(first))).toBe(true);
      expect(b!.run.macroF1).toBe(a!.run.macroF1);

      const info = new ModelRegistry({ modelsDir: first }).show(a!.run.candidateVersion);
      expect(info.parent).toBe('weak');
      expect(info.record.trainingData?.files.map((f) => f.path)).toEqual([data.base]);
      expect(info.manifest.trainingConfig).toMatchObject({ trainer: 'mlp', seed: 11, retrain: { job: 'retrain-a', samples: samples.length } });

      const history = await readRetrainHistory(store);
      expect(history.map((r) => r.runId)).toEqual([`retrain-a@${startedAt}`, `retrain-b@${startedAt}`]);
      const row = history[0]!;
      expect(row).toMatchObject({
        ts: startedAt, triggers: ['new-samples: 80 >= 50'], baseRows: base.rows, sampleRows: samples.length, parentVersion: 'weak',
        outcome: a!.promotion.outcome, reason: a!.promotion.decision.reason, holdoutRows: info.holdout!.rows, macroF1: info.holdout!.macroF1,
      });
      expect(row.recall).toEqual(THREAT_CLASSES.map((c) => info.holdout!.perClass[c].recall));
      const parent = new ModelRegistry({ modelsDir: first }).show('weak').holdout!;
      expect(row.parentMacroF1).toBe(parent.macroF1);
      expect(row.macroF1Gain).toBeCloseTo(row.macroF1 - parent.macroF1, 12);

      const text = formatRetrainHistory(history);
      expect(text.split('\n')[0]).toBe('retrain history');
      expect(text).toContain(`${a!.run.candidateVersion}  weak`);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('retrains the ensemble when asked: a loadable ensemble candidate, judged and recorded like the MLP', async () => {
    const { modelsDir, store } = await weakRegistryWithSamples('ensemble');
    try {
      // Small members so the test stays short: the same trainer code as `vigil train --ensemble`.
      const small = { ...DEFAULT_ENSEMBLE_OPTIONS.general, maxEpochs: 4, patience: 2 };
      const trainer = new EnsembleCandidateTrainer({
        ...DEFAULT_ENSEMBLE_OPTIONS,
        general: small,
        router: small,
        specialist: { ...DEFAULT_ENSEMBLE_OPTIONS.specialist, maxEpochs: 3, patience: 2, positives: 200, negativeCap: 200 },
      });
      const retrainer = new Retrainer({ modelsDir, baseData: [data.base], holdoutData: [data.holdout], store, trainer, seed: 5 });
      const { run } = await retrainer.run(job('retrain-ensemble', Date.parse('2026-12-02T10:00:00Z')));
      const info = new ModelRegistry({ modelsDir }).show(run.candidateVersion);
      expect(info.manifest.trainingConfig).toMatchObject({ trainer: 'ensemble', seed: 5 });
      const model = await loadFlowClassifier(join(modelsDir, run.candidateVersion));
      try {
        expect(model).toBeInstanceOf(EnsembleClassifier);
        expect(model.predictBatch(base.x.subarray(0, 3 * base.dims), 3).predicted).toHaveLength(3);
      } finally {
        model.dispose();
      }
      expect(run.macroF1).toBe(info.holdout!.macroF1);
      expect((await readRetrainHistory(store)).map((r) => r.candidateVersion)).toEqual([run.candidateVersion]);
    } finally {
      await store.close();
    }
  }, 180_000);

  it('gives the settings\' hidden widths to the trainer they name: the MLP, or the ensemble\'s general model and router', async () => {
    const modelsDir = mkdtempSync(join(tmpdir(), 'vigil-trainer-widths-'));
    cleanup.push(modelsDir);
    const set = { train: base, validation: base };
    const target = (version: string) => ({ modelsDir, version, seed: 3, provenance: {} });
    const mlp = await candidateTrainer({ trainer: 'mlp', maxEpochs: 1, patience: 1, hidden: [24, 12] }).train(set, target('mlp'));
    expect(hiddenUnits(join(mlp.dir, 'model.json'))).toEqual([24, 12]);
    const ensemble = await candidateTrainer({ trainer: 'ensemble', maxEpochs: 1, patience: 1, hidden: [20, 10] }).train(set, target('ensemble'));
    expect(hiddenUnits(join(ensemble.dir, 'model.json'))).toEqual([20, 10]);
    expect(hiddenUnits(join(ensemble.dir, 'router.json'))).toEqual([20, 10]);
    // The specialists keep their own shape: the widths are the general model's and router's.
    expect(hiddenUnits(join(ensemble.dir, 'specialist-dos.json'))).toEqual(DEFAULT_ENSEMBLE_OPTIONS.specialist.hidden);
    // Without widths each trainer keeps its default.
    const plain = await candidateTrainer({ trainer: 'mlp', maxEpochs: 1, patience: 1, hidden: undefined }).train(set, target('plain'));
    expect(hiddenUnits(join(plain.dir, 'model.json'))).toEqual(DEFAULT_TRAIN_OPTIONS.hidden);
  }, 180_000);

  it('trains on feature-version-2 rows when asked, and judges the v1 parent on the same hold-out flows in v1', async () => {
    const { modelsDir, store } = await weakRegistryWithSamples('feature-version-2');
    try {
      const trainer = new MlpCandidateTrainer({ maxEpochs: 4, patience: 2 });
      const retrainer = new Retrainer({ modelsDir, baseData: [data.base], holdoutData: [data.holdout], store, trainer, seed: 3, featureVersion: 2 });
      const { run, unprojectable } = await retrainer.run(job('retrain-v2', Date.parse('2026-12-03T10:00:00Z')));
      const registry = new ModelRegistry({ modelsDir });
      const candidate = registry.show(run.candidateVersion);
      expect([candidate.manifest.featureVersion, candidate.manifest.featureLayout, candidate.manifest.dims]).toEqual([2, 'security-v2', 100]);
      // The samples were scored as v2 vectors: taken as they are, none left out.
      expect(run.sampleRows).toBe(samples.length);
      expect(unprojectable).toEqual({});
      // The parent (feature version 1) was measured, on v1 rows of the same flows, so the rule could compare.
      const parent = registry.show('weak');
      expect(parent.manifest.featureVersion).toBe(1);
      expect(parent.holdout!.rows).toBe(candidate.holdout!.rows);
      expect(run.parentMacroF1).toBe(parent.holdout!.macroF1);
      expect(() => new Retrainer({ modelsDir, baseData: [data.base], holdoutData: [data.holdout], store, featureVersion: 9 })).toThrow(/unknown feature version 9/);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('says so when no retrain has run', () => {
    expect(formatRetrainHistory([])).toBe('retrain history: no retrain has run yet');
  });
});
