import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLOW_FEATURES } from '../../src/features/flow-features.js';
import { featureLayout, LATEST_FEATURE_VERSION } from '../../src/features/registry.js';
import { FlowEventType } from '../../src/events/flow-event.js';
import { SCHEMAS_DIR } from '../../src/paths.js';
import { flowVector } from '../../src/vector/flow-vector.js';
import type { FlowEvent } from '../../src/events/flow-event.js';

describe('feature layout v1', () => {
  const v1 = featureLayout(1);

  it('has 79 flow features, destination port first, in the documented order', () => {
    expect(v1.dims).toBe(79);
    expect(v1.names).toHaveLength(79);
    expect(new Set(v1.names).size).toBe(79);
    expect(v1.names[0]).toBe('dst_port');
    expect(v1.names[1]).toBe('flow_duration');
    expect(v1.names[78]).toBe('idle_min');
    FLOW_FEATURES.forEach((f, i) => expect(f.index).toBe(i + 1));
    expect(LATEST_FEATURE_VERSION).toBeGreaterThanOrEqual(1);
  });

  it('matches the Avro FlowFeatures record field for field', () => {
    const avsc = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'flow-event.avsc'), 'utf8')) as { fields: { name: string; type: { fields?: { name: string }[] } }[] };
    const features = avsc.fields.find((f) => f.name === 'features')!;
    expect(features.type.fields!.map((f) => f.name)).toEqual([...v1.names]);
  });

  it('puts each named feature at its index in the vector', () => {
    const features = Object.fromEntries(v1.names.map((n, i) => [n, i * 10 + 1]));
    const event: FlowEvent = { eventId: 'e', srcIp: '10.0.0.1', srcPort: 1, dstIp: '10.0.0.2', dstPort: 2, protocol: 6, ts: 0, features, label: null };
    expect(FlowEventType.isValid(event)).toBe(true);
    const x = flowVector(event);
    expect(Array.from(x)).toEqual(v1.names.map((_, i) => i * 10 + 1));
  });

  it('refuses an unknown version by name', () => {
    expect(() => featureLayout(99)).toThrow(/unknown feature version 99/);
  });
});
