import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SAMPLE } from '../../src/cli/commands/detect.js';
import { runFeatures } from '../../src/cli/run-features.js';
import { loadEnsemble } from '../../src/ensemble/ensemble-store.js';
import type { FlowEvent } from '../../src/events/flow-event.js';
import { isSecurityEvent } from '../../src/events/security-events.js';
import { initBackend } from '../../src/inference/backend.js';
import { resolveModelDir } from '../../src/registry/resolve-model.js';
import { flowVectors } from '../../src/vector/flow-vector.js';
import type { FeatureLine } from '../../src/vector/v2/feature-line-sink.js';
import { decodeAll, writeV2Inputs, type V2Inputs } from '../features/v2-fixtures.js';

/**
 * Feature 100 with an ensemble scoring the flows: the share of its voters agreeing with the
 * final class, from the same forward pass as the verdict; 1 for events no model scored.
 */
let inputs: V2Inputs;
beforeAll(async () => {
  await initBackend('auto');
  inputs = writeV2Inputs();
});

const linesOf = (path: string): FeatureLine[] => readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as FeatureLine);

describe('feature 100, ensemble agreement', () => {
  it('equals the ensemble\'s member agreement for each scored flow and stays 1 for security events', async () => {
    const out = join(inputs.dir, 'agreement.jsonl');
    // The whole demo sample (2,926 hold-out flows): a few of them split the ensemble's voters.
    await runFeatures({ inputs: [DEMO_SAMPLE, inputs.cowrie], out, dlq: null, batchSize: 64, batchWaitMs: 5, model: 'v2' });
    const lines = linesOf(out);
    const events = [...(await decodeAll(DEMO_SAMPLE)).events, ...(await decodeAll(inputs.cowrie)).events];
    expect(lines.map((l) => l.eventId)).toEqual(events.map((e) => e.eventId));

    const flows = events.filter((e): e is FlowEvent => !isSecurityEvent(e));
    const ensemble = await loadEnsemble(resolveModelDir('v2'));
    const expected = ensemble.predictMembers(flowVectors(flows), flows.length).agreement;
    ensemble.dispose();
    const byId = new Map(lines.map((l) => [l.eventId, l.vector[99]!]));
    flows.forEach((f, i) => expect(byId.get(f.eventId)).toBe(expected[i]));
    // Not only unanimous rows: the comparison covers flows where the voters split.
    expect(new Set(expected).size).toBeGreaterThan(1);
    expect(events.filter(isSecurityEvent).every((e) => byId.get(e.eventId) === 1)).toBe(true);
    expect(flows.length).toBe(2926);
  });
});
