import type { ServeSettings } from '../config/serve-settings.js';
import type { FeaturePipeline } from '../features/pipeline.js';
import { readManifest } from '../inference/model-store.js';
import { resolveModelDir } from '../registry/resolve-model.js';
import { sourceStateCounters, type SourceStateCounters } from '../stages/source-states.js';
import { needsFeaturePipeline } from '../stages/vectorize.js';
import { restoreGlobalCheckpoint, saveGlobalCheckpoint } from '../store/global-checkpoint.js';
import { openStateStore } from '../store/open-stores.js';
import type { SourceStateStore } from '../store/source-state-store.js';
import { childLogger } from '../telemetry/logger.js';
import { openV2Pipeline } from '../vector/v2/open-v2-pipeline.js';

const log = childLogger('serve');

/**
 * Whether serve runs the features topology (per-source state, feature-version-2 vectors, any
 * model version) rather than the detect topology (flow-v1 vectors only): when asked
 * (--feature-pipeline), or when the model it starts with takes version-2 vectors. Decided
 * once at start: an engine on the detect topology refuses a later CURRENT of version 2.
 */
export async function servesThroughPipeline(s: ServeSettings): Promise<boolean> {
  if (s.featurePipeline) return true;
  const dir = resolveModelDir(s.model, s.modelsDir === undefined ? {} : { modelsDir: s.modelsDir });
  const { featureVersion } = await readManifest(dir);
  return needsFeaturePipeline(featureVersion);
}

export interface ServePipeline {
  pipeline: FeaturePipeline;
  /** Per-source states in Redis (with --redis), shared by the group's members; none: memory only. */
  stateStore?: SourceStateStore;
  counters: SourceStateCounters;
  /**
   * The global (graph) states: `restored` from this instance's last run, `fresh` (none was
   * stored), or `not kept` (no Redis, or no stable instance name: --transactional-id).
   */
  globalStates: 'restored' | 'fresh' | 'not kept';
  /**
   * Closes the store, first checkpointing the global states (if kept) when `checkpoint`: only
   * after a clean stop, since after a failure they hold records the group will deliver again.
   */
  close(options: { checkpoint: boolean }): Promise<void>;
}

/** How a serve run ended, as far as its global feature states are concerned. */
export interface RunEnd {
  failed: boolean;
  /** Batches still in the pipeline when the source stopped (undefined: the stop failed). */
  undrainedBatches: number | undefined;
  delivery: 'exactly-once' | 'at-least-once';
  /** Transactions dropped as stale. */
  discards: number;
  counters?: Pick<SourceStateCounters, 'undoneBatches' | 'staleSkipped'>;
}

/**
 * Whether the global (graph) states may be checkpointed: the run ended without failure, every
 * batch it took settled, and no record the group will deliver again stayed folded in them.
 * Records read again were featurized first: a batch whose transaction was dropped is undone
 * in the pipeline (stages/settle-batch.ts), but at least once, records of partitions that
 * moved stay.
 */
export function mayCheckpointGlobalStates(end: RunEnd): boolean {
  const notUndone = end.discards > (end.counters?.undoneBatches ?? 0);
  const keptAtLeastOnce = end.delivery === 'at-least-once' && (end.counters?.staleSkipped ?? 0) > 0;
  return !end.failed && end.undrainedBatches === 0 && !notUndone && !keptAtLeastOnce;
}

/**
 * The feature pipeline of a serve on the features topology. A live topic has no first event
 * to choose the Tor list by, so the list closest to now is taken (as `vigil features` does).
 * With Redis and a transactional id (the instance's stable name), the global states are
 * restored at start and checkpointed after a clean stop (store/global-checkpoint.ts), so a
 * planned restart keeps the graph.
 */
export async function openServePipeline(s: ServeSettings): Promise<ServePipeline> {
  const { pipeline } = await openV2Pipeline({ eventTimeMs: Date.now() }, (message) => log.warn(message));
  const counters = sourceStateCounters();
  if (!s.redis) return { pipeline, counters, globalStates: 'not kept', close: async () => undefined };
  const opened = openStateStore(s.redis, { keyPrefix: s.keyPrefix });
  const store = opened.store;
  const instance = s.transactionalId;
  if (instance === undefined) {
    log.info('global feature states (graph) are not kept across restarts: give --transactional-id to name this instance');
    return { pipeline, stateStore: store, counters, globalStates: 'not kept', close: () => opened.close() };
  }
  let globalStates: ServePipeline['globalStates'];
  try {
    globalStates = (await restoreGlobalCheckpoint(store, pipeline, instance)) ? 'restored' : 'fresh';
  } catch (error) {
    await opened.close();
    throw error;
  }
  return {
    pipeline,
    stateStore: store,
    counters,
    globalStates,
    close: async ({ checkpoint }) => {
      try {
        if (checkpoint) await saveGlobalCheckpoint(store, pipeline, instance);
        else log.warn({ instance }, 'the run did not stop cleanly: global feature states (graph) not checkpointed');
      } finally {
        await opened.close();
      }
    },
  };
}
