import { describe, expect, it } from 'vitest';
import type { FlowEvent } from '../../src/events/flow-event.js';
import { FLOW_FEATURES } from '../../src/features/flow-features.js';
import { FLOW_VECTOR_DIMS, flowVector, flowVectors } from '../../src/vector/flow-vector.js';
import { FEATURE_MINS, isMissing, sanitizeRows, sanitizeValue } from '../../src/vector/sanitize.js';

describe('sanitizeValue: the missing-value rule', () => {
  it.each([
    [Number.NaN, 0],
    [Number.POSITIVE_INFINITY, 0],
    [Number.NEGATIVE_INFINITY, 0],
    [-0.5, 0],
    [-2, -1],
    [1e39, 0], // finite as a double, Infinity as a float32
  ])('%s (min %s) is missing', (v, min) => {
    expect(sanitizeValue(v, min)).toBeNaN();
    expect(isMissing(v, min)).toBe(true);
  });

  it('absent values are missing', () => {
    expect(sanitizeValue(undefined, 0)).toBeNaN();
    expect(sanitizeValue(null, 0)).toBeNaN();
  });

  it('keeps values at or above min, including the -1 init-window sentinel', () => {
    expect(sanitizeValue(0, 0)).toBe(0);
    expect(sanitizeValue(-1, -1)).toBe(-1);
    expect(sanitizeValue(1234.5, 0)).toBe(1234.5);
    expect(sanitizeValue(0.1, 0)).toBe(Math.fround(0.1));
  });

  it('takes min from the schema: -1 for the init-window bytes, 0 elsewhere', () => {
    const sentinel = FLOW_FEATURES.filter((f) => f.min === -1).map((f) => f.name);
    expect(sentinel).toEqual(['fwd_init_win_bytes', 'bwd_init_win_bytes']);
    expect(FEATURE_MINS.length).toBe(79);
  });

  it('sanitizeRows applies the rule per column', () => {
    const row = new Float32Array(79).fill(5);
    row[0] = -1; // dst_port: min 0
    row[67] = -1; // fwd_init_win_bytes: min -1
    row[14] = Number.POSITIVE_INFINITY;
    const out = sanitizeRows(Float32Array.from([...row, ...row]));
    for (const base of [0, 79]) {
      expect(out[base]).toBeNaN();
      expect(out[base + 67]).toBe(-1);
      expect(out[base + 14]).toBeNaN();
      expect(out[base + 1]).toBe(5);
    }
  });
});

describe('flowVector', () => {
  const event = (features: Record<string, number>): FlowEvent => ({
    eventId: 'e1', srcIp: '10.0.0.1', srcPort: 1234, dstIp: '10.0.0.2', dstPort: 80, protocol: 6, ts: 0, features, label: null,
  });
  const features = Object.fromEntries(FLOW_FEATURES.map((f) => [f.name, f.index * 10]));

  it('lays the 79 features out in schema order', () => {
    const v = flowVector(event(features));
    expect(v.length).toBe(FLOW_VECTOR_DIMS);
    FLOW_FEATURES.forEach((f, i) => expect(v[i]).toBe(f.index * 10));
  });

  it('marks absent, non-finite and below-min features missing', () => {
    const { flow_duration: _, ...rest } = features;
    const v = flowVector(event({ ...rest, flow_bytes_per_s: Number.POSITIVE_INFINITY, dst_port: -3, bwd_init_win_bytes: -1 }));
    expect(v[1]).toBeNaN();
    expect(v[14]).toBeNaN();
    expect(v[0]).toBeNaN();
    expect(v[68]).toBe(-1);
  });

  it('writes into a batch matrix at an offset', () => {
    const out = new Float32Array(79 * 3).fill(7);
    flowVector(event(features), out, 79);
    expect(out[78]).toBe(7);
    expect(out[79]).toBe(10);
    expect(out[79 * 2 - 1]).toBe(790);
    expect(out[79 * 2]).toBe(7);
    expect(() => flowVector(event(features), out, 79 * 2 + 1)).toThrow(RangeError);
    expect(flowVectors([event(features), event(features)]).length).toBe(158);
  });
});
