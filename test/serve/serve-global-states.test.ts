/**
 * The global (graph) feature states of a serve on the features topology: with Redis and a
 * transactional id (the instance's stable name) they are checkpointed when it stops cleanly
 * and restored when the same instance starts again; a run that failed leaves the checkpoint
 * before it; another instance does not get them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mayCheckpointGlobalStates, openServePipeline } from '../../src/cli/serve-pipeline.js';
import { parseServeSettings } from '../../src/config/serve-settings.js';
import { encodeSnapshot } from '../../src/store/source-state-store.js';
import { realFlows } from './serve-harness.js';
import { deleteKeys, randomPrefix, REDIS_URL, testClient } from '../store/redis-test-client.js';

const client = testClient();
const keyPrefix = randomPrefix();
afterAll(async () => {
  await deleteKeys(client, keyPrefix);
  await client.quit();
});

const settings = (transactionalId?: string) => parseServeSettings({ redis: REDIS_URL, keyPrefix, ...(transactionalId && { transactionalId }) });
const globalOf = (p: Awaited<ReturnType<typeof openServePipeline>>): string => encodeSnapshot({ layout: p.pipeline.layout, states: [p.pipeline.globalCheckpoint()], lastTs: 0 });

describe('serve on the features topology, global states', () => {
  it('are checkpointed after a clean stop and restored by the same instance only', async () => {
    const flows = await realFlows(300);
    const first = await openServePipeline(settings('engine-a'));
    expect(first.globalStates).toBe('fresh');
    const empty = globalOf(first);
    for (const flow of flows) first.pipeline.step(flow);
    const graph = globalOf(first);
    expect(graph).not.toBe(empty);
    await first.close({ checkpoint: true });

    const again = await openServePipeline(settings('engine-a'));
    expect(again.globalStates).toBe('restored');
    expect(globalOf(again)).toBe(graph);
    // A run that fails holds records the group delivers again: its graph is not kept.
    for (const flow of await realFlows(500)) again.pipeline.step(flow);
    expect(globalOf(again)).not.toBe(graph);
    await again.close({ checkpoint: false });
    const afterFailure = await openServePipeline(settings('engine-a'));
    expect(globalOf(afterFailure)).toBe(graph);
    await afterFailure.close({ checkpoint: false });

    const other = await openServePipeline(settings('engine-b'));
    expect(other.globalStates).toBe('fresh');
    expect(globalOf(other)).toBe(empty);
    await other.close({ checkpoint: true });

    const unnamed = await openServePipeline(settings());
    expect(unnamed.globalStates).toBe('not kept');
    await unnamed.close({ checkpoint: true });
  });
});

describe('when a serve run may checkpoint its global states', () => {
  const clean = { failed: false, undrainedBatches: 0, delivery: 'exactly-once', discards: 0, counters: { undoneBatches: 0, staleSkipped: 0 } } as const;

  it('after a clean stop, and after stale batches only if each was undone', () => {
    expect(mayCheckpointGlobalStates(clean)).toBe(true);
    expect(mayCheckpointGlobalStates({ ...clean, discards: 2, counters: { undoneBatches: 2, staleSkipped: 5 } })).toBe(true);
    expect(mayCheckpointGlobalStates({ ...clean, discards: 2, counters: { undoneBatches: 1, staleSkipped: 5 } })).toBe(false);
    // No counters (no feature pipeline): nothing was undone.
    expect(mayCheckpointGlobalStates({ ...clean, discards: 1, counters: undefined })).toBe(false);
  });

  it('not after a failure, batches left in flight, or at least once with records of moved partitions', () => {
    expect(mayCheckpointGlobalStates({ ...clean, failed: true })).toBe(false);
    expect(mayCheckpointGlobalStates({ ...clean, undrainedBatches: 1 })).toBe(false);
    expect(mayCheckpointGlobalStates({ ...clean, undrainedBatches: undefined })).toBe(false);
    expect(mayCheckpointGlobalStates({ ...clean, delivery: 'at-least-once', counters: { undoneBatches: 0, staleSkipped: 3 } })).toBe(false);
    expect(mayCheckpointGlobalStates({ ...clean, delivery: 'at-least-once' })).toBe(true);
  });
});
