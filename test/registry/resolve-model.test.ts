import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ModelError } from '../../src/errors/vigil-error.js';
import { defaultModelVersion, phase2ModelsEnabled, resolveModelDir } from '../../src/registry/resolve-model.js';
import { copyVersion, tempRegistry } from './temp-registry.js';

function registryServingV2(): string {
  const dir = tempRegistry();
  copyVersion(dir, 'v2', '2026-11-30T07:00:00.000Z');
  writeFileSync(join(dir, 'CURRENT'), 'v2\n');
  return dir;
}

describe('default model resolution', () => {
  it('serves CURRENT when USE_PHASE2_MODELS is unset or true', () => {
    const modelsDir = registryServingV2();
    expect(resolveModelDir(undefined, { modelsDir, env: {} })).toBe(join(modelsDir, 'v2'));
    expect(resolveModelDir(undefined, { modelsDir, env: { USE_PHASE2_MODELS: 'true' } })).toBe(join(modelsDir, 'v2'));
  });

  it('serves v1 regardless of CURRENT when USE_PHASE2_MODELS=false, even with no CURRENT at all', () => {
    const modelsDir = registryServingV2();
    expect(resolveModelDir(undefined, { modelsDir, env: { USE_PHASE2_MODELS: 'false' } })).toBe(join(modelsDir, 'v1'));
    rmSync(join(modelsDir, 'CURRENT'));
    expect(defaultModelVersion({ modelsDir, env: { USE_PHASE2_MODELS: 'FALSE' } })).toBe('v1');
    expect(() => defaultModelVersion({ modelsDir, env: {} })).toThrow(ModelError);
  });

  it('refuses a switch value it does not understand rather than guessing', () => {
    expect(() => phase2ModelsEnabled({ USE_PHASE2_MODELS: 'off' })).toThrow(ConfigError);
    expect(phase2ModelsEnabled({ USE_PHASE2_MODELS: '0' })).toBe(false);
  });

  it('takes a version name or a directory, and refuses a pointer that leads out of the registry', () => {
    const modelsDir = registryServingV2();
    expect(resolveModelDir('v1', { modelsDir })).toBe(join(modelsDir, 'v1'));
    expect(resolveModelDir(join(modelsDir, 'v2'), { modelsDir })).toBe(join(modelsDir, 'v2'));
    writeFileSync(join(modelsDir, 'CURRENT'), '../elsewhere\n');
    expect(() => resolveModelDir(undefined, { modelsDir, env: {} })).toThrow(/not a model version name/);
  });
});
