/**
 * The global (graph) feature states of a serve on the features topology: with Redis and a
 * transactional id (the instance's stable name) they are checkpointed when it stops cleanly
 * and restored when the same instance starts again; a run that failed leaves the checkpoint
 * before it; another instance does not get them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { openServePipeline } from '../../src/cli/serve-pipeline.js';
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
