/**
 * Crash and restart, exactly once: one `vigil serve` on a 4-partition topic with per-IP state
 * in Redis is killed with SIGKILL mid-stream and started again with the same transactional id
 * (which aborts the transaction it left open). No flow loses its verdict, none gets two
 * (read_committed), and the per-IP state equals that of a run that never crashed: records the
 * killed process had folded into Redis but not committed are re-scored, not re-counted.
 */
import { describe, expect, it } from 'vitest';
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
  useServeFixture,
  verdictCounts,
  verdictsPerKey,
} from './serve-harness.js';

const N = 2800;
const PARTITIONS = 4;
/** The restarted process joins while the killed one is still a member until this expires. */
const SESSION_TIMEOUT_MS = 6_000;
const fixture = useServeFixture('vigil-crash', PARTITIONS);
const { kafka, topics, running } = fixture;

describe('vigil serve, kill -9 and restart', () => {
  it('loses no verdict, repeats none, and counts every flow once in the per-IP state', async () => {
    const flows = await realFlows(N);
    const groupId = randomName('vigil-crash-group');
    const keyPrefix = fixture.statePrefix();
    const args = [
      '--group', groupId, '--input-topic', topics.flows, '--verdict-topic', topics.verdicts, '--dlq-topic', topics.dlq,
      '--partitions', String(PARTITIONS), '--summary-interval-ms', '300',
      '--session-timeout-ms', String(SESSION_TIMEOUT_MS), '--heartbeat-interval-ms', '500',
      // The same id before and after the crash: the restart fences the killed producer.
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
      await waitFor('the first half to start scoring', () => (latestProgress(first)?.events ?? 0) > 0 && verdicts.distinctKeys() > 0, 20_000);
      // Killed while the first half is still being scored, then the second half arrives.
      first.child.kill('SIGKILL');
      const killed = await first.exited;
      expect(killed.signal).toBe('SIGKILL');
      const beforeCrash = verdicts.distinctKeys();
      await produceFlows(kafka, topics.flows, flows.slice(half));

      const second = spawnServe(args);
      running.push(second);
      await second.started;
      await waitFor(`${N} distinct verdicts`, () => verdicts.distinctKeys() >= N, SESSION_TIMEOUT_MS + 40_000);

      second.child.kill('SIGTERM');
      const { code, result } = await second.exited;
      expect(code, second.stderr.join('\n')).toBe(0);
      expect(await committedOffsets(kafka, groupId, topics.flows)).toEqual(await endOffsets(kafka, topics.flows));

      const reference = await referenceState(fixture);
      const state = await baselineState(fixture.redis, keyPrefix);
      console.log(
        `crash: ${N} flows; ${beforeCrash} verdicts committed before the kill; after the restart ${verdicts.received.length} in all; ` +
          `restarted engine: ${JSON.stringify(result?.transactions)}, state ${JSON.stringify(result?.state)}`,
      );
      const counts = verdictCounts(verdicts.received);
      expect([...counts.keys()].sort()).toEqual(flows.map((f) => f.eventId).sort());
      expect(verdicts.received).toHaveLength(N);
      expect(verdictsPerKey(verdicts.received)).toEqual(flowsPerKey(flows));
      expect(beforeCrash, 'the kill landed mid-stream').toBeLessThan(half);

      expect(state.size).toBe(flowsPerKey(flows).size);
      expect(state).toEqual(reference);
    } finally {
      await verdicts.close();
    }
  });
});
