import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLabeledFlows } from '../../src/datasets/labeled-flows.js';
import { EnsembleClassifier } from '../../src/ensemble/ensemble-classifier.js';
import { DEFAULT_ENSEMBLE_OPTIONS } from '../../src/ensemble/train-ensemble.js';
import { loadFlowClassifier } from '../../src/ensemble/load-flow-classifier.js';
import { classOfLabel, THREAT_CLASSES, type ThreatClass } from '../../src/events/threat-classes.js';
import { initBackend } from '../../src/inference/backend.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { hiddenUnits } from '../helpers/saved-network.js';
import { CICIDS_TRAIN } from '../learning/retrain-fixture.js';

const run = promisify(execFile);
const VIGIL = join(PACKAGE_ROOT, 'bin', 'vigil.js');
const DATA = process.env.VIGIL_CICIDS_TRAIN ?? CICIDS_TRAIN;
const root = mkdtempSync(join(tmpdir(), 'vigil-ensemble-train-'));
const modelsDir = join(root, 'models');
const trainFile = join(root, 'train.csv');
const testFile = join(root, 'test.csv');

/**
 * Real rows, small enough for 2 shared cores: per class (the file is in time order) up to 300
 * rows spread over its earliest 80% for training and up to 100 of its latest 20% for testing.
 */
function writeSplit(): void {
  const [header, ...lines] = readFileSync(DATA, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  const labelAt = header!.split(',').indexOf('Label');
  const byClass = new Map<ThreatClass, string[]>();
  for (const line of lines) {
    const c = classOfLabel(line.split(',')[labelAt]!);
    if (c) byClass.set(c, [...(byClass.get(c) ?? []), line]);
  }
  const spread = (rows: string[], k: number) => (rows.length <= k ? rows : Array.from({ length: k }, (_, i) => rows[Math.floor((i * rows.length) / k)]!));
  const train: string[] = [];
  const test: string[] = [];
  for (const rows of byClass.values()) {
    const cut = Math.floor(rows.length * 0.8);
    train.push(...spread(rows.slice(0, cut), 300));
    test.push(...spread(rows.slice(cut), 100));
  }
  writeFileSync(trainFile, [header, ...train].join('\n') + '\n');
  writeFileSync(testFile, [header, ...test].join('\n') + '\n');
}

beforeAll(async () => {
  writeSplit();
  await initBackend();
  await run(
    process.execPath,
    [VIGIL, 'train', '--ensemble', '--data', trainFile, '--version', 'ens-small', '--models-dir', modelsDir, '--max-epochs', '4', '--specialist-rows', '300', '--hidden', '48,24', '--backend', 'wasm'],
    { cwd: PACKAGE_ROOT },
  );
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('vigil train --ensemble, then evaluate --json', () => {
  it('writes a model directory with members, validation metrics and each specialist recall', () => {
    const manifest = JSON.parse(readFileSync(join(modelsDir, 'ens-small', 'manifest.json'), 'utf8')) as {
      architecture: string;
      featureVersion: number;
      trainingConfig: { seed: number; routerThreshold: number };
      metrics: { specialists: Record<string, { recall: number; temperature: number }>; validation: { final: { macroF1: number } } };
    };
    expect(manifest.architecture).toBe('ensemble');
    expect(manifest.featureVersion).toBe(1);
    expect(manifest.trainingConfig.seed).toBe(1);
    expect(Object.keys(manifest.metrics.specialists)).toEqual(THREAT_CLASSES.slice(1));
    for (const s of Object.values(manifest.metrics.specialists)) {
      expect(s.recall).toBeGreaterThanOrEqual(0);
      expect(s.recall).toBeLessThanOrEqual(1);
      expect(s.temperature).toBeGreaterThan(0);
    }
    expect(manifest.metrics.validation.final.macroF1).toBeGreaterThan(0);
    // The registry recorded it as a candidate beside the directory.
    expect(existsSync(join(modelsDir, 'ens-small', 'registry.json'))).toBe(true);
  });

  it('keeps the evaluate --json contract and agrees with the loaded ensemble', async () => {
    const membersFile = join(root, 'members.json');
    const { stdout } = await run(process.execPath, [VIGIL, 'evaluate', '--data', testFile, '--model', join(modelsDir, 'ens-small'), '--json', '--members', membersFile], {
      cwd: PACKAGE_ROOT,
    });
    const out = stdout.trim();
    expect(out.split('\n')).toHaveLength(1);
    const doc = JSON.parse(out) as { model: string; rows: number; macroF1: number; benignFPR: number; classes: string[]; perClass: Record<string, Record<string, number>>; confusion: number[][] };
    expect(Object.keys(doc).sort()).toEqual(['benignFPR', 'classes', 'confusion', 'macroF1', 'model', 'perClass', 'rows'].sort());
    expect(doc.model).toBe('ens-small');
    expect(doc.classes).toEqual([...THREAT_CLASSES]);
    const data = await loadLabeledFlows([testFile]);
    expect(doc.rows).toBe(data.rows);
    for (const c of THREAT_CLASSES) expect(Object.keys(doc.perClass[c]!).sort()).toEqual(['f1', 'precision', 'recall', 'support']);
    expect(doc.confusion.flat().reduce((a, b) => a + b, 0)).toBe(data.rows);
    expect(doc.macroF1).toBeCloseTo(THREAT_CLASSES.reduce((s, c) => s + doc.perClass[c]!.f1!, 0) / 7, 10);

    // The CLI's confusion matrix is the in-process ensemble's decisions.
    const ensemble = await loadFlowClassifier(join(modelsDir, 'ens-small'));
    expect(ensemble).toBeInstanceOf(EnsembleClassifier);
    const { predicted } = ensemble.predictBatch(data.x, data.rows);
    ensemble.dispose();
    const confusion = THREAT_CLASSES.map(() => new Array<number>(7).fill(0));
    data.y.forEach((t, i) => (confusion[t]![predicted[i]!]! += 1));
    expect(doc.confusion).toEqual(confusion);
    // --members adds a file; stdout stays the one contract object.
    const members = JSON.parse(readFileSync(membersFile, 'utf8')) as { rows: number; specialists: Record<string, { recall: number; support: number }>; fallbackShare: number };
    expect(members.rows).toBe(data.rows);
    expect(Object.keys(members.specialists)).toEqual(THREAT_CLASSES.slice(1));
    THREAT_CLASSES.slice(1).forEach((c, i) => expect(members.specialists[c]!.support).toBe(data.y.filter((v) => v === i + 1).length));
    expect(members.fallbackShare).toBeGreaterThanOrEqual(0);
    // Trained on a few hundred rows per class for a few epochs: far better than chance.
    expect(doc.macroF1).toBeGreaterThan(0.5);
  });

  it('--errors writes every misclassified row, traceable to its input line, with what each member said', async () => {
    const errorsFile = join(root, 'errors.jsonl');
    const { stdout } = await run(process.execPath, [VIGIL, 'evaluate', '--data', testFile, '--model', join(modelsDir, 'ens-small'), '--json', '--errors', errorsFile], { cwd: PACKAGE_ROOT });
    const doc = JSON.parse(stdout) as { rows: number; confusion: number[][] };
    const wrong = doc.rows - doc.confusion.reduce((s, row, i) => s + row[i]!, 0);
    const rows = readFileSync(errorsFile, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { position: string; label: string; class: string; predicted: string; route: string; members: { specialists: Record<string, number> } });
    expect(rows).toHaveLength(wrong);
    expect(wrong).toBeGreaterThan(0);
    const lines = readFileSync(testFile, 'utf8').split(/\r?\n/);
    const labelAt = lines[0]!.split(',').indexOf('Label');
    for (const row of rows) {
      const [file, line] = [row.position.slice(0, row.position.lastIndexOf(':')), Number(row.position.slice(row.position.lastIndexOf(':') + 1))];
      expect(file).toBe(testFile);
      const label = lines[line - 1]!.split(',')[labelAt]!;
      expect(row.label).toBe(label.trim());
      expect(row.class).toBe(classOfLabel(label));
      expect(row.predicted).not.toBe(row.class);
      expect(Object.keys(row.members.specialists)).toEqual(THREAT_CLASSES.slice(1));
      expect(['fallback', ...THREAT_CLASSES]).toContain(row.route);
    }
  });

  it('gives --hidden to the general model and the router, and leaves the specialists as they are', () => {
    const dir = join(modelsDir, 'ens-small');
    type Member = { topology: string };
    const spec = JSON.parse(readFileSync(join(dir, 'ensemble.json'), 'utf8')) as { general: Member; router: Member; specialists: Record<string, Member> };
    expect(hiddenUnits(join(dir, spec.general.topology))).toEqual([48, 24]);
    expect(hiddenUnits(join(dir, spec.router.topology))).toEqual([48, 24]);
    for (const specialist of Object.values(spec.specialists)) {
      expect(hiddenUnits(join(dir, specialist.topology))).toEqual(DEFAULT_ENSEMBLE_OPTIONS.specialist.hidden);
    }
  });

  it('refuses a --hidden that is not a list of positive widths, before training', async () => {
    for (const bad of ['0,5', '64,x', '']) {
      const failed = await run(process.execPath, [VIGIL, 'train', '--ensemble', '--data', trainFile, '--models-dir', modelsDir, '--version', 'never', '--hidden', bad], { cwd: PACKAGE_ROOT }).then(
        () => undefined,
        (err: unknown) => err as { stderr?: string },
      );
      expect(failed?.stderr).toMatch(/--hidden.*expected comma-separated positive integers/);
    }
    expect(existsSync(join(modelsDir, 'never'))).toBe(false);
  });

  it('refuses an unknown --fallback rule before training, naming the rules it knows', async () => {
    const failed = await run(process.execPath, [VIGIL, 'train', '--ensemble', '--data', trainFile, '--models-dir', modelsDir, '--version', 'never', '--fallback', 'vote'], { cwd: PACKAGE_ROOT }).then(
      () => undefined,
      (err: unknown) => err as { stderr?: string },
    );
    expect(failed?.stderr).toMatch(/--fallback must be one of general, panel, got vote/);
    expect(existsSync(join(modelsDir, 'never'))).toBe(false);
  });
});
