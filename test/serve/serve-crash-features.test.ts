/**
 * Crash and restart on the features topology: `vigil serve --feature-pipeline` on a
 * 4-partition topic, per-source feature states in Redis, is killed with SIGKILL mid-stream and
 * started again with the same transactional id. Every flow gets exactly one verdict, and each
 * source's feature states in Redis equal those of one pipeline that stepped every flow once
 * (none lost, none started afresh). Where the kill lands is left to timing; the case of a
 * batch whose states were saved but never committed is forced, and shown to matter, in
 * test/topologies/features-crash-kafka.test.ts (Cowrie events, whose states a second step
 * changes; these flows' per-source states come out the same when a batch is stepped twice).
 */
import { describe, expect, it } from 'vitest';
import { openV2Pipeline } from '../../src/vector/v2/open-v2-pipeline.js';
import { decodeSnapshot, encodeSnapshot, sourceStateKey } from '../../src/store/source-state-store.js';
import type { FlowEvent } from '../../src/events/flow-event.js';
import { crashAndRestart, flowsPerKey, realFlows, useServeFixture, verdictCounts } from './serve-harness.js';

const N = 2400;
const PARTITIONS = 4;
/** The restarted process joins while the killed one is still a member until this expires. */
const SESSION_TIMEOUT_MS = 6_000;
const fixture = useServeFixture('vigil-crash-fp', PARTITIONS);

/** Each source's states and last event time after one pipeline stepped `flows` in order, encoded exactly. */
async function referenceStates(flows: readonly FlowEvent[]): Promise<Map<string, string>> {
  const { pipeline } = await openV2Pipeline({ eventTimeMs: Date.now() }, () => undefined);
  for (const flow of flows) pipeline.step(flow);
  const out = new Map<string, string>();
  for (const ip of new Set(flows.map((f) => f.srcIp))) {
    const held = pipeline.source(ip)!;
    out.set(ip, encodeSnapshot({ layout: pipeline.layout, states: held.states, lastTs: held.lastTs }));
  }
  return out;
}

/** The current snapshot serve left for each source, without its positions, encoded exactly. */
async function servedStates(keyPrefix: string, ips: Iterable<string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const ip of ips) {
    const key = sourceStateKey(keyPrefix, ip);
    const text = await fixture.redis.get(key);
    if (text === null) continue;
    const { layout, states, lastTs } = decodeSnapshot(text, key);
    out.set(ip, encodeSnapshot({ layout, states, lastTs }));
  }
  return out;
}

describe('vigil serve --feature-pipeline, kill -9 and restart', () => {
  it('gives every flow one verdict and leaves each source the feature states of one uninterrupted pass', async () => {
    const flows = await realFlows(N);
    const run = await crashAndRestart(fixture, flows, { name: 'vigil-crash-fp', partitions: PARTITIONS, sessionTimeoutMs: SESSION_TIMEOUT_MS, args: ['--feature-pipeline'] });
    console.log(`crash (features topology): ${run.beforeCrash} verdicts committed before the kill; restarted engine's source states ${JSON.stringify(run.result?.state.sources)}`);
    expect([...verdictCounts(run.received).keys()].sort()).toEqual(flows.map((f) => f.eventId).sort());
    expect(run.received).toHaveLength(N);

    // Records are keyed by source IP, so each source's flows reach serve in the order produced.
    const reference = await referenceStates(flows);
    const served = await servedStates(run.keyPrefix, flowsPerKey(flows).keys());
    expect(served.size).toBe(reference.size);
    const differing = [...reference].filter(([ip, text]) => served.get(ip) !== text).map(([ip]) => ip);
    expect(differing).toEqual([]);
  });
});
