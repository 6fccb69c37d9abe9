import type { FeaturePipeline, GlobalCheckpoint } from '../features/pipeline.js';
import type { SourceStateStore } from './source-state-store.js';

/**
 * A process's global group states (the communication graph, outcomes not yet due), kept in
 * the feature-state store beside the sources' under `@global:<instance>`. Unlike a source's
 * state, the global side is what one process saw (its partitions), so each instance keeps
 * its own, under a name that must stay the same across its restarts.
 *
 * It is written when a run ends, not per batch: the graph is large, and losing the edges
 * of a crashed run only weakens features 95-99 for a while (they are windowed).
 */
export function globalEntity(instance: string): string {
  return `@global:${instance}`;
}

/** Installs the instance's checkpoint if one of this pipeline's layout is stored; says whether it did. */
export async function restoreGlobalCheckpoint(store: SourceStateStore, pipeline: FeaturePipeline, instance: string): Promise<boolean> {
  const [stored] = await store.load([globalEntity(instance)]);
  if (stored?.current.layout !== pipeline.layout) return false;
  pipeline.restoreGlobal(stored.current.states[0] as GlobalCheckpoint);
  return true;
}

export async function saveGlobalCheckpoint(store: SourceStateStore, pipeline: FeaturePipeline, instance: string): Promise<void> {
  await store.save([{ entity: globalEntity(instance), snapshot: { layout: pipeline.layout, states: [pipeline.globalCheckpoint()], lastTs: 0 } }]);
}
