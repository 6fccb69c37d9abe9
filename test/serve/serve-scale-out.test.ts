/**
 * Scale-out and failover: two `vigil serve` processes share a 4-partition topic in one
 * consumer group; one is killed with SIGKILL mid-stream (no drain, no leave-group); the survivor
 * takes over its partitions once the group expires the dead member, and every flow ends up
 * with a verdict. Delivery is at-least-once: batches the dead member had scored but not
 * committed are scored again, so duplicates are counted and reported, not forbidden.
 */
import { describe, expect, it } from 'vitest';
import { committedOffsets, randomName, waitFor } from '../kafka/broker.js';
import {
  collectVerdicts,
  endOffsets,
  latestProgress,
  produceFlows,
  realFlows,
  spawnServe,
  verdictCounts,
  useServeFixture,
  type ServeProcess,
} from './serve-harness.js';

const N = 2000;
const PARTITIONS = 4;
/** Short, so the group notices the killed member within seconds (the default is 30 s). */
const SESSION_TIMEOUT_MS = 6_000;
const { kafka, topics, running } = useServeFixture('vigil-scale', PARTITIONS);

const partitionsOf = (p: ServeProcess): number => latestProgress(p)?.assignment.length ?? 0;

describe('vigil serve, two processes in one group', () => {
  it('splits the partitions, survives a kill -9 of one member, and leaves every flow with at least one verdict', async () => {
    const flows = await realFlows(N);
    const groupId = randomName('vigil-scale-group');
    const args = [
      '--group', groupId, '--input-topic', topics.flows, '--verdict-topic', topics.verdicts, '--dlq-topic', topics.dlq,
      '--partitions', String(PARTITIONS), '--summary-interval-ms', '300',
      '--session-timeout-ms', String(SESSION_TIMEOUT_MS), '--heartbeat-interval-ms', '500',
      // Small batches keep several in flight per member, so the kill lands mid-stream.
      '--batch-size', '32',
    ];
    const members = [spawnServe(args), spawnServe(args)];
    running.push(...members);
    await Promise.all(members.map((m) => m.started));
    await waitFor('both members to own 2 partitions', () => members.every((m) => partitionsOf(m) === 2), 20_000);
    const verdicts = await collectVerdicts(kafka, topics.verdicts);

    try {
      const half = N / 2;
      await produceFlows(kafka, topics.flows, flows.slice(0, half));
      await waitFor(`${half} distinct verdicts`, () => verdicts.distinctKeys() >= half, 15_000);

      // Kill the member that has scored more: it owns the busy partition (source IPs are skewed).
      // The kill lands while the third quarter is being scored, so some of it is likely
      // scored but not committed; the last quarter arrives with one member gone.
      const [victim, survivor] = [...members].sort((a, b) => (latestProgress(b)?.events ?? 0) - (latestProgress(a)?.events ?? 0)) as [ServeProcess, ServeProcess];
      const threeQuarters = (3 * N) / 4;
      await produceFlows(kafka, topics.flows, flows.slice(half, threeQuarters));
      await waitFor('the third quarter to start scoring', () => verdicts.distinctKeys() > half, 15_000);
      victim.child.kill('SIGKILL');
      await produceFlows(kafka, topics.flows, flows.slice(threeQuarters));
      const killed = await victim.exited;
      expect(killed.signal).toBe('SIGKILL');

      await waitFor('the survivor to own all 4 partitions', () => partitionsOf(survivor) === PARTITIONS, SESSION_TIMEOUT_MS + 15_000);
      await waitFor(`${N} distinct verdicts`, () => verdicts.distinctKeys() >= N, 15_000);

      const counts = verdictCounts(verdicts.received);
      expect([...counts.keys()].sort()).toEqual(flows.map((f) => f.eventId).sort());
      const duplicates = verdicts.received.length - counts.size;
      console.log(
        `scale-out: ${N} flows, ${verdicts.received.length} verdicts, ${duplicates} duplicate(s) after kill -9; ` +
          `the killed member had last reported ${latestProgress(victim)?.events ?? 0} events scored`,
      );
      for (const { key, verdict } of verdicts.received) {
        expect(verdict.modelVersion).toBe('v1');
        expect(key).toBe(verdict.srcIp);
      }

      survivor.child.kill('SIGTERM');
      const { code, result } = await survivor.exited;
      expect(code, survivor.stderr.join('\n')).toBe(0);
      const ends = await endOffsets(kafka, topics.flows);
      expect(result?.stop.committed.map((c) => c.partition).sort()).toEqual([0, 1, 2, 3]);
      expect(await committedOffsets(kafka, groupId, topics.flows)).toEqual(ends);
    } finally {
      await verdicts.close();
    }
  });
});
