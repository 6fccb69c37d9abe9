import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../src/errors/vigil-error.js';
import { initBackend } from '../../src/inference/backend.js';
import { RegistryModelProvider } from '../../src/registry/registry-model-provider.js';
import { copyVersion, corruptWeights, editManifest, tempRegistry } from './temp-registry.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const row = new Float32Array(79);

describe('RegistryModelProvider', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('keeps serving its model when the new CURRENT is corrupt or mismatched, and switches to a good one', async () => {
    const modelsDir = tempRegistry();
    copyVersion(modelsDir, 'v2', '2026-11-30T07:00:00.000Z');
    copyVersion(modelsDir, 'v3', '2026-11-30T08:00:00.000Z');
    copyVersion(modelsDir, 'v4', '2026-11-30T09:00:00.000Z');
    corruptWeights(modelsDir, 'v3');
    editManifest(modelsDir, 'v4', (m) => (m.featureVersion = 2));
    const warnings: unknown[] = [];
    const provider = await RegistryModelProvider.open({ modelsDir, env: {}, log: { ...quiet, warn: (o: unknown) => void warnings.push(o) } });
    const v1 = provider.current();
    expect(v1.version).toBe('v1');
    expect(await provider.refresh()).toEqual({ outcome: 'unchanged', serving: 'v1' });

    for (const bad of ['v3', 'v4']) {
      writeFileSync(join(modelsDir, 'CURRENT'), `${bad}\n`);
      const result = await provider.refresh();
      expect(result).toMatchObject({ outcome: 'failed', serving: 'v1', wanted: bad });
      expect(result.outcome === 'failed' && result.error).toBeInstanceOf(ModelError);
      expect(provider.current()).toBe(v1);
      // Still usable, not disposed.
      expect(provider.current().predictBatch(row, 1).predicted).toHaveLength(1);
    }
    expect(warnings).toHaveLength(2);

    writeFileSync(join(modelsDir, 'CURRENT'), 'v2\n');
    expect(await provider.refresh()).toEqual({ outcome: 'switched', serving: 'v2', from: 'v1' });
    expect(provider.current().version).toBe('v2');
    expect(provider.current().predictBatch(row, 1).predicted).toHaveLength(1);
    // The old model is released only once the new one serves.
    expect(() => v1.predictBatch(row, 1)).toThrow(/disposed/);
    provider.close();
  });

  it('shares one load between concurrent refreshes', async () => {
    const modelsDir = tempRegistry();
    copyVersion(modelsDir, 'v2', '2026-11-30T07:00:00.000Z');
    const provider = await RegistryModelProvider.open({ modelsDir, env: {}, log: quiet });
    writeFileSync(join(modelsDir, 'CURRENT'), 'v2\n');
    const [a, b] = await Promise.all([provider.refresh(), provider.refresh()]);
    expect(a).toBe(b);
    expect(a.outcome).toBe('switched');
    provider.close();
  });

  it('serves v1 when USE_PHASE2_MODELS=false, and moves to CURRENT when the switch is back on', async () => {
    const modelsDir = tempRegistry();
    copyVersion(modelsDir, 'v2', '2026-11-30T07:00:00.000Z');
    writeFileSync(join(modelsDir, 'CURRENT'), 'v2\n');
    const env: Record<string, string> = { USE_PHASE2_MODELS: 'false' };
    const provider = await RegistryModelProvider.open({ modelsDir, env, log: quiet });
    expect(provider.current().version).toBe('v1');
    env.USE_PHASE2_MODELS = 'true';
    expect((await provider.refresh()).serving).toBe('v2');
    provider.close();
  });

  it('polls on an interval when asked', async () => {
    const modelsDir = tempRegistry();
    copyVersion(modelsDir, 'v2', '2026-11-30T07:00:00.000Z');
    const provider = await RegistryModelProvider.open({ modelsDir, env: {}, log: quiet, pollIntervalMs: 20 });
    writeFileSync(join(modelsDir, 'CURRENT'), 'v2\n');
    await expect.poll(() => provider.current().version, { timeout: 5000, interval: 20 }).toBe('v2');
    provider.close();
  });

  it('fails to open when there is nothing loadable to serve', async () => {
    const modelsDir = tempRegistry();
    corruptWeights(modelsDir, 'v1');
    await expect(RegistryModelProvider.open({ modelsDir, env: {}, log: quiet })).rejects.toThrow(ModelError);
  });
});
