import type { ServeSettings } from '../config/serve-settings.js';
import type { FeaturePipeline } from '../features/pipeline.js';
import { readManifest } from '../inference/model-store.js';
import { resolveModelDir } from '../registry/resolve-model.js';
import { sourceStateCounters, type SourceStateCounters } from '../stages/source-states.js';
import { needsFeaturePipeline } from '../stages/vectorize.js';
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
  close(): Promise<void>;
}

/**
 * The feature pipeline of a serve on the features topology. A live topic has no first event
 * to choose the Tor list by, so the list closest to now is taken (as `vigil features` does).
 */
export async function openServePipeline(s: ServeSettings): Promise<ServePipeline> {
  const { pipeline } = await openV2Pipeline({ eventTimeMs: Date.now() }, (message) => log.warn(message));
  const counters = sourceStateCounters();
  if (!s.redis) return { pipeline, counters, close: async () => undefined };
  const opened = openStateStore(s.redis, { keyPrefix: s.keyPrefix });
  return { pipeline, stateStore: opened.store, counters, close: () => opened.close() };
}
