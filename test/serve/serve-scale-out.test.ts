/**
 * Scale-out and failover, exactly once: two `vigil serve` processes share a 4-partition topic
 * in one consumer group, with per-IP state in Redis; one is killed with SIGKILL mid-stream (no
 * drain, no leave-group, its open transaction left to the broker). The survivor takes over its
 * partitions once the group expires the dead member. Every flow has exactly one verdict on the
 * verdict topic (read_committed), and the per-IP state equals a single process's.
 */
import { describe, expect, it } from 'vitest';
import { defaultModelVersion } from '../../src/registry/resolve-model.js';
import { committedOffsets, randomName, waitFor } from '../kafka/broker.js';
import {
  baselineState,
  collectVerdicts,
  endOffsets,
  flowsPerKey,
  latestProgress,
  produceFlows,
  realFlows,
  referenceState,
  spawnServe,
  stateArgs,
  verdictCounts,
  verdictsPerKey,
  useServeFixture,
  type ServeProcess,
} from './serve-harness.js';

const N = 2800;
const PARTITIONS = 4;
/** Short, so the group notices the killed member within seconds (the default is 30 s). */
const SESSION_TIMEOUT_MS = 6_000;
/** Short, so the broker aborts the killed member's open transaction soon and read_committed readers move on. */
const TRANSACTION_TIMEOUT_MS = 5_000;
const fixture = useServeFixture('vigil-scale', PARTITIONS);
const { kafka, topics, running } = fixture;

const partitionsOf = (p: ServeProcess): number => latestProgress(p)?.assignment.length ?? 0;

describe('vigil serve, two processes in one group', () => {
  it('splits the partitions, survives a kill -9 of one member, and leaves every flow with exactly one verdict and state equal to one process', async () => {
    const flows = await realFlows(N);
    const groupId = randomName('vigil-scale-group');
    const keyPrefix = fixture.statePrefix();
    const args = (member: string): string[] => [
      '--group', groupId, '--input-topic', topics.flows, '--verdict-topic', topics.verdicts, '--dlq-topic', topics.dlq,
      '--partitions', String(PARTITIONS), '--summary-interval-ms', '300',
      '--session-timeout-ms', String(SESSION_TIMEOUT_MS), '--heartbeat-interval-ms', '500',
      '--transactional-id', `${groupId}-${member}`, '--transaction-timeout-ms', String(TRANSACTION_TIMEOUT_MS),
      ...stateArgs(keyPrefix),
      // Small batches keep several in flight per member, so the kill lands mid-stream.
      '--batch-size', '32',
    ];
    const members = [spawnServe(args('a')), spawnServe(args('b'))];
    running.push(...members);
    await Promise.all(members.map((m) => m.started));
    await waitFor('both members to own 2 partitions', () => members.every((m) => partitionsOf(m) === 2), 20_000);
    const verdicts = await collectVerdicts(kafka, topics.verdicts);

    try {
      const half = N / 2;
      await produceFlows(kafka, topics.flows, flows.slice(0, half));
      await waitFor(`${half} distinct verdicts`, () => verdicts.distinctKeys() >= half, 20_000);

      // Kill the member that has scored more: it owns the busy partition (source IPs are skewed).
      // The kill lands while the third quarter is being scored, so one of its transactions is
      // likely open; the last quarter arrives with one member gone.
      const [victim, survivor] = [...members].sort((a, b) => (latestProgress(b)?.events ?? 0) - (latestProgress(a)?.events ?? 0)) as [ServeProcess, ServeProcess];
      const threeQuarters = (3 * N) / 4;
      await produceFlows(kafka, topics.flows, flows.slice(half, threeQuarters));
      await waitFor('the third quarter to start scoring', () => verdicts.distinctKeys() > half, 20_000);
      victim.child.kill('SIGKILL');
      await produceFlows(kafka, topics.flows, flows.slice(threeQuarters));
      const killed = await victim.exited;
      expect(killed.signal).toBe('SIGKILL');

      await waitFor('the survivor to own all 4 partitions', () => partitionsOf(survivor) === PARTITIONS, SESSION_TIMEOUT_MS + 15_000);
      await waitFor(`${N} distinct verdicts`, () => verdicts.distinctKeys() >= N, 40_000);

      survivor.child.kill('SIGTERM');
      const { code, result } = await survivor.exited;
      expect(code, survivor.stderr.join('\n')).toBe(0);
      const ends = await endOffsets(kafka, topics.flows);
      expect(result?.stop.committed.map((c) => c.partition).sort()).toEqual([0, 1, 2, 3]);
      expect(await committedOffsets(kafka, groupId, topics.flows)).toEqual(ends);
      expect(result?.delivery).toBe('exactly-once');

      // A single process over the same input; meanwhile the verdict reader catches up on
      // anything the two members committed late (a duplicate would show up here).
      const reference = await referenceState(fixture);
      const state = await baselineState(fixture.redis, keyPrefix);

      const counts = verdictCounts(verdicts.received);
      console.log(
        `scale-out: ${N} flows, ${verdicts.received.length} committed verdicts; the killed member had last reported ` +
          `${latestProgress(victim)?.events ?? 0} events scored; survivor: ${JSON.stringify(result?.transactions)}, state ${JSON.stringify(result?.state)}`,
      );
      expect([...counts.keys()].sort()).toEqual(flows.map((f) => f.eventId).sort());
      expect(verdicts.received).toHaveLength(N);
      expect(verdictsPerKey(verdicts.received)).toEqual(flowsPerKey(flows));
      for (const { key, verdict } of verdicts.received) {
        expect(verdict.modelVersion).toBe(defaultModelVersion());
        expect(key).toBe(verdict.srcIp);
      }

      expect(state.size).toBe(flowsPerKey(flows).size);
      expect(state).toEqual(reference);
    } finally {
      await verdicts.close();
    }
  });
});
