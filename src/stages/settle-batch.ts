import type { Settlement } from './commit-transaction.js';
import type { EventBatch } from './event-batch.js';
import type { HeldSources } from './source-states.js';

/**
 * The features topology's last stage when its output settles each batch (exactly-once: the
 * batch's transaction), and the undo of a batch dropped as stale. The group then reads the
 * batch's records again, maybe here; had they stayed folded into this process's global
 * (graph) states, which no store rewinds, a second reading here would count them twice. So
 * the pipeline returns to the mark `featurize` took before the batch: the global states, the
 * outcomes not yet due, and each source the batch stepped or dropped from memory. With a state
 * store those sources leave memory instead: the store's snapshot from before the batch is the
 * one to continue from (restoreSourceStates), wherever the records are read next, and their
 * held positions go with them.
 */
export function settleBatch(
  settle: (batch: EventBatch) => Promise<Settlement>,
  held: HeldSources,
  options: { stateStore: boolean },
): (batch: EventBatch) => Promise<EventBatch> {
  const { pipeline, positions, counters } = held;
  return async (batch) => {
    if ((await settle(batch)) === 'committed' || batch.mark === undefined) return batch;
    const changed = pipeline.rewind(batch.mark);
    if (options.stateStore) {
      for (const ip of changed) pipeline.forget(ip);
      positions.forget(changed);
    }
    counters.undoneBatches++;
    return batch;
  };
}
