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
import { randomName, waitFor } from '../kafka/broker.js';
import { collectVerdicts, flowsPerKey, latestProgress, produceFlows, realFlows, spawnServe, stateArgs, useServeFixture, verdictCounts } from './serve-harness.js';

const N = 2400;
const PARTITIONS = 4;
/** The restarted process joins while the killed one is still a member until this expires. */
const SESSION_TIMEOUT_MS = 6_000;
const fixture = useServeFixture('vigil-crash-fp', PARTITIONS);
const { kafka, topics, running } = fixture;

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
    const groupId = randomName('vigil-crash-fp-group');
    const keyPrefix = fixture.statePrefix();
    const args = [
      '--feature-pipeline', '--group', groupId, '--input-topic', topics.flows, '--verdict-topic', topics.verdicts, '--dlq-topic', topics.dlq,
      '--partitions', String(PARTITIONS), '--summary-interval-ms', '300',
      '--session-timeout-ms', String(SESSION_TIMEOUT_MS), '--heartbeat-interval-ms', '500',
      '--transactional-id', `${groupId}-engine-0`,
      ...stateArgs(keyPrefix),
      '--batch-size', '32',
    ];
    const first = spawnServe(args);
    running.push(first);
    await first.started;
    const verdicts = await collectVerdicts(kafka, topics.verdicts);
    try {
      const half = N / 2;
      await produceFlows(kafka, topics.flows, flows.slice(0, half));
      await waitFor('the first half to start scoring', () => (latestProgress(first)?.events ?? 0) > 0 && verdicts.distinctKeys() > 0, 30_000);
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      const beforeCrash = verdicts.distinctKeys();
      await produceFlows(kafka, topics.flows, flows.slice(half));

      const second = spawnServe(args);
      running.push(second);
      await second.started;
      await waitFor(`${N} distinct verdicts`, () => verdicts.distinctKeys() >= N, SESSION_TIMEOUT_MS + 60_000);
      second.child.kill('SIGTERM');
      const { code, result } = await second.exited;
      expect(code, second.stderr.join('\n')).toBe(0);
      console.log(`crash (features topology): ${beforeCrash} verdicts committed before the kill; restarted engine's source states ${JSON.stringify(result?.state.sources)}`);

      expect(beforeCrash, 'the kill landed mid-stream').toBeLessThan(half);
      expect([...verdictCounts(verdicts.received).keys()].sort()).toEqual(flows.map((f) => f.eventId).sort());
      expect(verdicts.received).toHaveLength(N);

      // Records are keyed by source IP, so each source's flows reach serve in the order produced.
      const reference = await referenceStates(flows);
      const served = await servedStates(keyPrefix, flowsPerKey(flows).keys());
      expect(served.size).toBe(reference.size);
      const differing = [...reference].filter(([ip, text]) => served.get(ip) !== text).map(([ip]) => ip);
      expect(differing).toEqual([]);
    } finally {
      await verdicts.close();
    }
  });
});
