import type { FeaturePipeline } from '../features/pipeline.js';
import { V2_DIMS } from '../features/vector-v2.js';
import type { EventBatch } from './event-batch.js';

/**
 * Feature version 2 for every event of a batch, in batch order, through one FeaturePipeline
 * (which holds the per-source and global states across batches): one flat n×100 buffer.
 * The pipeline is marked first, so that a batch whose results are dropped can be undone
 * (settle-batch.ts).
 */
export function featurize(pipeline: FeaturePipeline): (batch: EventBatch) => EventBatch {
  return (batch) => {
    const mark = pipeline.mark();
    const firstSeq = pipeline.stepped;
    const vectors = new Float64Array(batch.accepted.length * V2_DIMS);
    batch.accepted.forEach((a, i) => vectors.set(pipeline.step(a.event), i * V2_DIMS));
    return { ...batch, vectors, firstSeq, mark };
  };
}
