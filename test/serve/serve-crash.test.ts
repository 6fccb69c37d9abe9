/**
 * Crash and restart, exactly once: one `vigil serve` on a 4-partition topic with per-IP state
 * in Redis is killed with SIGKILL mid-stream and started again with the same transactional id
 * (which aborts the transaction it left open). No flow loses its verdict, none gets two
 * (read_committed), and the per-IP state equals that of a run that never crashed: records the
 * killed process had folded into Redis but not committed are re-scored, not re-counted.
 */
import { describe, expect, it } from 'vitest';
import { baselineState, crashAndRestart, flowsPerKey, realFlows, referenceState, useServeFixture, verdictCounts, verdictsPerKey } from './serve-harness.js';

const N = 2800;
const PARTITIONS = 4;
/** The restarted process joins while the killed one is still a member until this expires. */
const SESSION_TIMEOUT_MS = 6_000;
const fixture = useServeFixture('vigil-crash', PARTITIONS);

describe('vigil serve, kill -9 and restart', () => {
  it('loses no verdict, repeats none, and counts every flow once in the per-IP state', async () => {
    const flows = await realFlows(N);
    const run = await crashAndRestart(fixture, flows, { name: 'vigil-crash', partitions: PARTITIONS, sessionTimeoutMs: SESSION_TIMEOUT_MS });
    const reference = await referenceState(fixture);
    const state = await baselineState(fixture.redis, run.keyPrefix);
    console.log(
      `crash: ${N} flows; ${run.beforeCrash} verdicts committed before the kill; after the restart ${run.received.length} in all; ` +
        `restarted engine: ${JSON.stringify(run.result?.transactions)}, state ${JSON.stringify(run.result?.state)}`,
    );
    const counts = verdictCounts(run.received);
    expect([...counts.keys()].sort()).toEqual(flows.map((f) => f.eventId).sort());
    expect(run.received).toHaveLength(N);
    expect(verdictsPerKey(run.received)).toEqual(flowsPerKey(flows));

    expect(state.size).toBe(flowsPerKey(flows).size);
    expect(state).toEqual(reference);
  });
});
