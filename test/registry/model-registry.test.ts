import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ModelError } from '../../src/errors/vigil-error.js';
import { initBackend } from '../../src/inference/backend.js';
import { ModelRegistry } from '../../src/registry/model-registry.js';
import { RegistryError } from '../../src/registry/registry-error.js';
import { LOCK_FILE } from '../../src/registry/registry-lock.js';
import { copyVersion, corruptWeights, editManifest, holdoutReport, readPointerFile, tempRegistry } from './temp-registry.js';

const clock = () => new Date('2026-12-01T00:00:00Z');

describe('ModelRegistry', () => {
  let dir: string;
  let registry: ModelRegistry;

  beforeAll(async () => {
    await initBackend('cpu');
  });

  beforeEach(() => {
    dir = tempRegistry();
    registry = new ModelRegistry({ modelsDir: dir, now: clock });
    registry.record('v1', { holdout: holdoutReport('v1', 0.95, { web_attack: 0.8 }) });
    copyVersion(dir, 'v2', '2026-11-30T07:00:00.000Z');
  });

  it('promotes a better candidate: CURRENT moves, PREVIOUS keeps the old one, records say why', async () => {
    registry.record('v2', { parent: 'v1', holdout: holdoutReport('v2', 0.975, { web_attack: 0.8 }) });
    const result = await registry.promote('v2');
    expect(result).toMatchObject({ outcome: 'promoted', forced: false, current: 'v2', previous: 'v1' });
    expect(readPointerFile(dir, 'CURRENT')).toBe('v2');
    expect(readPointerFile(dir, 'PREVIOUS')).toBe('v1');
    expect(existsSync(join(dir, 'CURRENT.tmp'))).toBe(false);
    expect(registry.list().map((v) => [v.version, v.status])).toEqual([
      ['v1', 'previous'],
      ['v2', 'current'],
    ]);
    const v2 = registry.show('v2');
    expect(v2.parent).toBe('v1');
    expect(v2.record.history).toEqual([
      { at: '2026-12-01T00:00:00.000Z', from: 'candidate', to: 'current', reason: expect.stringContaining('macro-F1 0.9750 vs current 0.9500: +0.0250') },
    ]);
  });

  it('a third promotion archives the oldest; rollback swaps back and a second rollback undoes it', async () => {
    registry.record('v2', { holdout: holdoutReport('v2', 0.97, { web_attack: 0.8 }) });
    await registry.promote('v2');
    copyVersion(dir, 'v3', '2026-11-30T08:00:00.000Z');
    registry.record('v3', { holdout: holdoutReport('v3', 0.99, { web_attack: 0.8 }) });
    await registry.promote('v3');
    expect(registry.list().map((v) => v.status)).toEqual(['archived', 'previous', 'current']);

    expect(await registry.rollback()).toEqual({ current: 'v2', previous: 'v3' });
    expect(readPointerFile(dir, 'CURRENT')).toBe('v2');
    expect(readPointerFile(dir, 'PREVIOUS')).toBe('v3');
    expect(registry.show('v3').record.history.at(-1)).toMatchObject({ from: 'current', to: 'previous', reason: 'rollback from v3 to v2' });
    await registry.rollback();
    expect(readPointerFile(dir, 'CURRENT')).toBe('v3');
  });

  it('rollback without a PREVIOUS pointer is refused', async () => {
    await expect(registry.rollback()).rejects.toThrow(RegistryError);
    expect(readPointerFile(dir, 'CURRENT')).toBe('v1');
  });

  it('rejects a candidate whose macro-F1 gain is under 2 points, recording the reason', async () => {
    registry.record('v2', { holdout: holdoutReport('v2', 0.965, { web_attack: 0.8 }) });
    const result = await registry.promote('v2');
    expect(result.outcome).toBe('rejected');
    expect(readPointerFile(dir, 'CURRENT')).toBe('v1');
    expect(existsSync(join(dir, 'PREVIOUS'))).toBe(false);
    const v2 = registry.show('v2');
    expect(v2.status).toBe('rejected');
    expect(v2.record.rejection).toMatchObject({ reason: 'macro-F1 0.9650 vs current 0.9500: +0.0150, needs +0.0200', violations: [{ rule: 'macro-f1-gain' }] });
  });

  it('rejects a candidate that loses more than 1 point of one class recall', async () => {
    registry.record('v2', { holdout: holdoutReport('v2', 0.99, { web_attack: 0.78 }) });
    expect((await registry.promote('v2')).outcome).toBe('rejected');
    expect(readPointerFile(dir, 'CURRENT')).toBe('v1');
    expect(registry.show('v2').record.rejection?.violations).toEqual([
      { rule: 'class-recall-drop', class: 'web_attack', candidate: 0.78, current: 0.8, drop: expect.closeTo(0.02, 9), allowed: 0.01 },
    ]);
  });

  it('--force promotes a rejected candidate and records that it was forced', async () => {
    registry.record('v2', { holdout: holdoutReport('v2', 0.96, { web_attack: 0.8 }) });
    await registry.promote('v2');
    const result = await registry.promote('v2', { force: true });
    expect(result).toMatchObject({ outcome: 'promoted', forced: true });
    expect(readPointerFile(dir, 'CURRENT')).toBe('v2');
    expect(registry.show('v2').record.history.map((h) => [h.from, h.to, h.forced])).toEqual([
      ['candidate', 'rejected', undefined],
      ['rejected', 'current', true],
    ]);
    expect(registry.show('v2').record.history[1]!.reason).toMatch(/^forced over the promotion rule: macro-F1 0\.9600/);
  });

  it('refuses a corrupt candidate (one flipped bit of weights.bin) and leaves the pointers alone', async () => {
    registry.record('v2', { holdout: holdoutReport('v2', 0.99, { web_attack: 0.8 }) });
    corruptWeights(dir, 'v2');
    await expect(registry.promote('v2', { force: true })).rejects.toThrow(ModelError);
    await expect(registry.promote('v2', { force: true })).rejects.toThrow(/weights\.bin does not match its sha256/);
    expect(readPointerFile(dir, 'CURRENT')).toBe('v1');
    expect(existsSync(join(dir, 'PREVIOUS'))).toBe(false);
  });

  it('refuses a candidate made for another feature version', async () => {
    editManifest(dir, 'v2', (m) => (m.featureVersion = 2));
    registry.record('v2', { holdout: holdoutReport('v2', 0.99, { web_attack: 0.8 }) });
    await expect(registry.promote('v2', { force: true })).rejects.toThrow(/trained on feature version 2/);
    expect(readPointerFile(dir, 'CURRENT')).toBe('v1');
    // Still listed, with what it says about itself.
    expect(registry.show('v2').featureVersion).toBe(2);
  });

  it('refuses a directory holding another version’s manifest, and a rollback to a corrupt PREVIOUS', async () => {
    copyVersion(dir, 'v3', '2026-11-30T08:00:00.000Z');
    editManifest(dir, 'v3', (m) => (m.version = 'v2'));
    await expect(registry.promote('v3', { force: true })).rejects.toThrow(/holds the manifest of version v2/);

    registry.record('v2', { holdout: holdoutReport('v2', 0.99, { web_attack: 0.8 }) });
    await registry.promote('v2');
    corruptWeights(dir, 'v1');
    await expect(registry.rollback()).rejects.toThrow(ModelError);
    expect(readPointerFile(dir, 'CURRENT')).toBe('v2');
    expect(readPointerFile(dir, 'PREVIOUS')).toBe('v1');
  });

  it('refuses to promote the current or previous version, or while another change holds the lock', async () => {
    await expect(registry.promote('v1')).rejects.toThrow(/already current/);
    writeFileSync(join(dir, LOCK_FILE), '1\n');
    await expect(registry.promote('v2', { force: true })).rejects.toThrow(/another registry change is running/);
    expect(readPointerFile(dir, 'CURRENT')).toBe('v1');
  });

  it('keeps records in a sidecar: manifests are untouched, and a report of another model is refused', () => {
    const before = readFileSync(join(dir, 'v2', 'manifest.json'), 'utf8');
    registry.record('v2', { trainingData: { sha256: 'a'.repeat(64), files: [] } });
    expect(readFileSync(join(dir, 'v2', 'manifest.json'), 'utf8')).toBe(before);
    expect(JSON.parse(readFileSync(join(dir, 'v2', 'registry.json'), 'utf8'))).toMatchObject({ version: 'v2', status: 'candidate', trainingData: { sha256: 'a'.repeat(64) } });
    expect(() => registry.record('v2', { holdout: holdoutReport('v1', 0.99) })).toThrow(/report is of model v1, not of v2/);
  });

  it('ignores model directories of other kinds', () => {
    copyVersion(dir, 'lstm', '2026-11-30T09:00:00.000Z');
    editManifest(dir, 'lstm', (m) => (m.kind = 'sequence-lstm'));
    expect(registry.list().map((v) => v.version)).toEqual(['v1', 'v2']);
  });
});

describe('ModelRegistry records', () => {
  it('refuses a sidecar copied from another version rather than trusting its metrics', () => {
    const dir = tempRegistry();
    const registry = new ModelRegistry({ modelsDir: dir });
    registry.record('v1', { holdout: holdoutReport('v1', 0.95) });
    copyVersion(dir, 'v2', '2026-11-30T07:00:00.000Z');
    writeFileSync(join(dir, 'v2', 'registry.json'), readFileSync(join(dir, 'v1', 'registry.json')));
    expect(() => registry.show('v2')).toThrow(/record of version v1, not v2/);
  });
});

describe('ModelRegistry recovery', () => {
  it('replaces a CURRENT that names a deleted version only with --force, keeping PREVIOUS', async () => {
    const dir = tempRegistry();
    const registry = new ModelRegistry({ modelsDir: dir });
    copyVersion(dir, 'v2', '2026-11-30T07:00:00.000Z');
    registry.record('v2', { holdout: holdoutReport('v2', 0.99) });
    writeFileSync(join(dir, 'CURRENT'), 'gone\n');
    writeFileSync(join(dir, 'PREVIOUS'), 'v1\n');
    const refused = await registry.promote('v2');
    expect(refused.decision.violations).toEqual([{ rule: 'current-unmeasured', current: 'gone' }]);
    expect(readPointerFile(dir, 'CURRENT')).toBe('gone');
    expect(await registry.promote('v2', { force: true })).toMatchObject({ outcome: 'promoted', current: 'v2', previous: 'v1' });
    expect(readPointerFile(dir, 'CURRENT')).toBe('v2');
    expect(readPointerFile(dir, 'PREVIOUS')).toBe('v1');
  });
});
