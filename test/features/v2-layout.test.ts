import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError } from '../../src/errors/vigil-error.js';
import type { FeatureSpec } from '../../src/features/feature-group.js';
import { FLOW_FEATURES } from '../../src/features/flow-features.js';
import { canProject, featureLayout, LATEST_FEATURE_VERSION, projectVector, vectorForModel } from '../../src/features/registry.js';
import { dstPortInput, upgradeV1Vector, V2_MISSING_FLOW_VALUES, writeV2FlowPart } from '../../src/features/vector-v2.js';
import { SCHEMAS_DIR } from '../../src/paths.js';

const specNames = (file: string) => (JSON.parse(readFileSync(join(SCHEMAS_DIR, 'features-v2', file), 'utf8')) as FeatureSpec[]).map((s) => [s.number, s.name] as const);

describe('feature layout v2', () => {
  const v1 = featureLayout(1);
  const v2 = featureLayout(2);

  it("is v1's 79 flow features, then 80-100 named by the spec files in number order", () => {
    expect(LATEST_FEATURE_VERSION).toBe(2);
    expect(v2.dims).toBe(100);
    expect(v2.names).toHaveLength(100);
    expect(new Set(v2.names).size).toBe(100);
    expect(v2.names.slice(0, 79)).toEqual([...v1.names]);
    const specs = ['threat-intel.json', 'behavioral.json', 'graph.json', 'ensemble.json'].flatMap(specNames);
    for (const [number, name] of specs) expect(v2.names[number - 1]).toBe(name);
    expect(specs.map(([n]) => n).sort((a, b) => a - b)).toEqual(Array.from({ length: 21 }, (_, i) => 80 + i));
    expect(v2.names[99]).toBe('ensemble_agreement');
  });
});

/** A v1 vector with a finite value everywhere except the given missing indexes (NaN). */
function v1Vector(missing: readonly number[]): Float32Array {
  const v = Float32Array.from(FLOW_FEATURES, (_, i) => Math.fround(i * 1.5 + 0.1));
  for (const i of missing) v[i] = Number.NaN;
  return v;
}

describe('v2 missing flow values and the v2 -> v1 projection', () => {
  const initWindow = FLOW_FEATURES.findIndex((f) => f.min === -1);

  it('writes a missing flow feature as min - 1: -1, or -2 where -1 is a real value', () => {
    expect(initWindow).toBeGreaterThanOrEqual(0);
    expect(V2_MISSING_FLOW_VALUES[initWindow]).toBe(-2);
    expect(V2_MISSING_FLOW_VALUES[0]).toBe(-1);
    const out = new Float64Array(100);
    writeV2FlowPart(v1Vector([0, initWindow]), out);
    expect(out[0]).toBe(-1);
    expect(out[initWindow]).toBe(-2);
    expect(out[1]).toBe(Math.fround(1.6));
  });

  it('projects v2 back to exactly the v1 vector, NaN where v1 had NaN', () => {
    const v1 = v1Vector([0, 5, initWindow]);
    const v2 = upgradeV1Vector(v1, () => Array.from({ length: 21 }, (_, i) => i / 21));
    const back = projectVector(v2, 2, 1);
    expect(back).toHaveLength(79);
    expect(Array.from(back)).toEqual(Array.from(v1)); // toEqual treats NaN as equal to NaN
    expect(Number.isNaN(back[5]!)).toBe(true);
    // -1 at the init-window feature is a real value, and stays one.
    const real = v1Vector([]);
    real[initWindow] = -1;
    expect(projectVector(upgradeV1Vector(real, () => new Array(21).fill(0)), 2, 1)[initWindow]).toBe(-1);
  });

  it('refuses v1 -> v2 (80-100 cannot be made up), wrong lengths, and unknown versions', () => {
    expect(canProject(2, 1)).toBe(true);
    expect(canProject(1, 2)).toBe(false);
    expect(() => projectVector(new Float32Array(79), 1, 2)).toThrow(ModelError);
    expect(() => projectVector(new Float32Array(79), 1, 2)).toThrow(/no projection from feature version 1 to 2/);
    expect(() => projectVector(new Float32Array(99), 2, 1)).toThrow(/100 dims, got 99/);
    expect(() => projectVector(new Float32Array(100), 3, 1)).toThrow(/unknown feature version 3/);
    expect(Array.from(projectVector([1, 2, 3, ...new Array(76).fill(0)], 1, 1)).slice(0, 3)).toEqual([1, 2, 3]);
  });

  it('gives a model only vectors of its version or a projection of one', () => {
    const v2 = upgradeV1Vector(v1Vector([]), () => new Array(21).fill(0.5));
    expect(vectorForModel(v2, 2, { featureVersion: 1 })).toHaveLength(79);
    expect(vectorForModel(v2, 2, { featureVersion: 2 })).toHaveLength(100);
    expect(() => vectorForModel(v1Vector([]), 1, { featureVersion: 2, version: 'v9' })).toThrow(/model v9 was trained on feature version 2 and cannot score a version-1 vector/);
  });

  it('upgradeV1Vector takes 80-100 from recompute and checks them', () => {
    const v2 = upgradeV1Vector(v1Vector([3]), () => Array.from({ length: 21 }, (_, i) => i));
    expect(v2).toHaveLength(100);
    expect(v2[3]).toBe(-1);
    expect(Array.from(v2.subarray(79))).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(() => upgradeV1Vector(v1Vector([]), () => new Array(20).fill(0))).toThrow(/features 80-100 \(21 values\), got 20/);
    expect(() => upgradeV1Vector(v1Vector([]), () => [Number.NaN, ...new Array(20).fill(0)])).toThrow(/feature 80 recomputed as NaN/);
    expect(() => upgradeV1Vector(new Float32Array(78), () => new Array(21).fill(0))).toThrow(/79 dims, got 78/);
  });
});

describe('dstPortInput', () => {
  it('finds the destination port at the same place in v1 and v2 rows, and nowhere in another layout', () => {
    const at = FLOW_FEATURES.findIndex((f) => f.name === 'dst_port');
    expect(at).toBeGreaterThanOrEqual(0);
    expect(dstPortInput(featureLayout(1).dims)).toBe(at);
    expect(dstPortInput(featureLayout(2).dims)).toBe(at);
    expect(featureLayout(2).names[at]).toBe('dst_port');
    expect(dstPortInput(12)).toBe(-1);
  });
});
