import { V2_DIMS } from '../features/vector-v2.js';
import type { FeatureLine, FeatureLineSink } from '../vector/v2/feature-line-sink.js';
import type { EventBatch } from './event-batch.js';

/** Writes one FeatureLine per event of the batch; resolves once the sink has taken them. */
export function writeFeatureVectors(sink: FeatureLineSink): (batch: EventBatch) => Promise<EventBatch> {
  return async (batch) => {
    const vectors = batch.vectors ?? new Float64Array(0);
    const lines = batch.accepted.map(({ event }, i): FeatureLine => ({
      key: event.srcIp,
      ts: event.ts,
      eventId: event.eventId,
      featureVersion: 2,
      vector: Array.from(vectors.subarray(i * V2_DIMS, (i + 1) * V2_DIMS)),
    }));
    await sink.write(lines);
    return batch;
  };
}
