import type { FeaturePipeline } from '../features/pipeline.js';
import type { EventBatch } from './event-batch.js';

/**
 * Feeds the pipeline's learning groups (feature 83, ASN reputation) the batch's confident
 * verdicts: a verdict whose top probability is below `minConfidence` teaches nothing, since a
 * model fed its own doubtful calls reinforces its mistakes. The pipeline folds each outcome in
 * a fixed number of steps after its event (FeaturePipeline.outcomeLag), so where the batch
 * boundaries fall does not change any vector.
 */
export function learnFromVerdicts(pipeline: FeaturePipeline, minConfidence: number): (batch: EventBatch) => EventBatch {
  return (batch) => {
    const firstSeq = batch.firstSeq ?? 0;
    batch.verdicts?.forEach((verdict, i) => {
      if (verdict === undefined || Math.max(...Object.values(verdict.probabilities)) < minConfidence) return;
      pipeline.observeOutcome(firstSeq + i, { srcIp: verdict.srcIp, isAttack: verdict.class !== 'normal', ts: verdict.ts });
    });
    return batch;
  };
}
