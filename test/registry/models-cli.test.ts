import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { ModelRegistry } from '../../src/registry/model-registry.js';
import { copyVersion, holdoutReport, readPointerFile, tempRegistry } from './temp-registry.js';

const VIGIL = join(PACKAGE_ROOT, 'bin', 'vigil.js');

async function vigil(...args: string[]): Promise<{ stdout: string; code: number }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [VIGIL, ...args], { cwd: PACKAGE_ROOT });
    return { stdout, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; code: number };
    return { stdout: e.stdout, code: e.code };
  }
}

describe('vigil models', () => {
  it('lists, refuses by the rule (exit 2), promotes with a looser rule, and shows each step', async () => {
    const dir = tempRegistry();
    const registry = new ModelRegistry({ modelsDir: dir });
    registry.record('v1', { holdout: holdoutReport('v1', 0.95) });
    copyVersion(dir, 'v2', '2099-01-01T00:00:00.000Z');
    registry.record('v2', { holdout: holdoutReport('v2', 0.96) });

    const list = await vigil('models', 'list', '--models-dir', dir);
    expect(list.stdout.split('\n').filter((l) => l.trim())).toEqual([
      expect.stringMatching(/^\s+version\s+status\s+created\s+features\s+macro-F1\s+benign FPR$/),
      expect.stringMatching(/^\*\s+v1\s+current\s+\S+Z\s+1\s+0\.9500\s+0\.70%$/),
      expect.stringMatching(/^\s+v2\s+candidate\s+2099-01-01T00:00:00Z\s+1\s+0\.9600\s+0\.70%$/),
    ]);

    const refused = await vigil('models', 'promote', 'v2', '--models-dir', dir);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain('rejected v2: macro-F1 0.9600 vs current 0.9500: +0.0100, needs +0.0200');
    expect(readPointerFile(dir, 'CURRENT')).toBe('v1');
    const shownRejected = (await vigil('models', 'show', 'v2', '--models-dir', dir)).stdout.split('\n');
    expect(shownRejected).toContain('status         rejected');
    expect(shownRejected.filter((l) => l.startsWith('rejected '))).toEqual([expect.stringMatching(/^rejected\s+\S+Z: macro-F1 0\.9600 vs current 0\.9500: \+0\.0100, needs \+0\.0200$/)]);

    const promoted = await vigil('models', 'promote', 'v2', '--min-f1-gain', '0.01', '--models-dir', dir);
    expect(promoted.code).toBe(0);
    expect(readPointerFile(dir, 'CURRENT')).toBe('v2');

    expect(promoted.stdout).toBe('promoted v2 (macro-F1 0.9600 vs current 0.9500: +0.0100 (needs +0.0100); no class recall dropped more than 0.0100)\nCURRENT v2  PREVIOUS v1\n');
    const shownCurrent = (await vigil('models', 'show', 'v2', '--models-dir', dir)).stdout.split('\n');
    expect(shownCurrent).toContain('status         current');
    expect(shownCurrent.filter((l) => l.startsWith('rejected '))).toEqual([]);
    expect(shownCurrent.filter((l) => l.startsWith('history '))).toEqual([
      expect.stringMatching(/candidate -> rejected: macro-F1 0\.9600 vs current 0\.9500: \+0\.0100, needs \+0\.0200$/),
      expect.stringMatching(/rejected -> current: macro-F1 0\.9600 vs current 0\.9500: \+0\.0100 \(needs \+0\.0100\); no class recall dropped more than 0\.0100$/),
    ]);
  });
});
