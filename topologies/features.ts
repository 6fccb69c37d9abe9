/**
 * features: raw events (flows, Cowrie, sshd) in, feature-version-2 vectors out.
 *
 *   source ──batches──▶ decode (flows and security events) ──▶ dead-letter bad input
 *          ──▶ featurize (one FeaturePipeline, 100 dims) ──▶ write feature lines ──▶ acknowledge
 *
 * The pipeline holds the per-source and global group states across batches, so events are
 * featurized strictly in source order (concatMap, one batch in flight: pullBatches). The same
 * FeaturePipeline replayed over the same events gives the same vectors. Wiring only: every
 * stage lives in src/stages/.
 */
import { concatMap, map, tap, type Observable } from 'rxjs';
import type { FeaturePipeline } from '../src/features/pipeline.js';
import { pullBatches } from '../src/operators/pull-batches.js';
import type { InputEvent } from '../src/sources/file-source.js';
import type { Decoder, RecordSource } from '../src/sources/record.js';
import { acknowledge } from '../src/stages/acknowledge.js';
import { decodeBatch } from '../src/stages/decode-batch.js';
import type { EventBatch } from '../src/stages/event-batch.js';
import { featurize } from '../src/stages/featurize.js';
import { routeBadInput, type DeadLetterSink } from '../src/stages/route-bad-input.js';
import { writeFeatureVectors } from '../src/stages/write-feature-vectors.js';
import type { FeatureLineSink } from '../src/vector/v2/feature-line-sink.js';

export interface FeaturesTopologyOptions {
  source: RecordSource;
  decoder: Decoder<InputEvent>;
  deadLetters: DeadLetterSink;
  pipeline: FeaturePipeline;
  vectors: FeatureLineSink;
  /** Micro-batch bounds: a batch closes at maxSize records or maxWaitMs after its first one. */
  batch: { maxSize: number; maxWaitMs: number };
}

export function featuresTopology(o: FeaturesTopologyOptions): Observable<EventBatch> {
  return pullBatches(o.source.batches(o.batch), (records$) =>
    records$.pipe(
      map(decodeBatch(o.decoder)),
      concatMap(routeBadInput(o.deadLetters)),
      map(featurize(o.pipeline)),
      concatMap(writeFeatureVectors(o.vectors)),
      tap<EventBatch>(acknowledge(o.source)),
    ),
  );
}
