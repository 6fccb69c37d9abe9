/**
 * detect: raw flows in, verdicts out.
 *
 *   source ──batches──▶ decode ──▶ dead-letter bad input ──▶ vectorize (v1, 79 dims)
 *          ──▶ score (TF.js, one forward pass per micro-batch) ──▶ write verdicts ──▶ acknowledge
 *
 * Batches are pulled on credit (see pullBatches): the source is read only as fast as the
 * slowest stage, and the source hears that a batch is durable only after its verdicts and
 * dead letters are written. Wiring only: every stage lives in src/stages/.
 */
import { concatMap, map, tap, type Observable } from 'rxjs';
import type { FlowEvent } from '../src/events/flow-event.js';
import { pullBatches } from '../src/operators/pull-batches.js';
import type { Decoder, RecordSource } from '../src/sources/record.js';
import type { VerdictSink } from '../src/sinks/verdict-jsonl.js';
import { acknowledge } from '../src/stages/acknowledge.js';
import { decodeBatch } from '../src/stages/decode-batch.js';
import type { FlowBatch } from '../src/stages/flow-batch.js';
import { routeBadInput, type DeadLetterSink } from '../src/stages/route-bad-input.js';
import { score, type ModelProvider } from '../src/stages/score.js';
import { vectorize } from '../src/stages/vectorize.js';
import { writeVerdicts } from '../src/stages/write-verdicts.js';

export interface DetectTopologyOptions {
  source: RecordSource;
  decoder: Decoder<FlowEvent>;
  deadLetters: DeadLetterSink;
  models: ModelProvider;
  verdicts: VerdictSink;
  /** Micro-batch bounds: a batch closes at maxSize records or maxWaitMs after its first one. */
  batch: { maxSize: number; maxWaitMs: number };
}

export function detectTopology(o: DetectTopologyOptions): Observable<FlowBatch> {
  return pullBatches(o.source.batches(o.batch), (records$) =>
    records$.pipe(
      map(decodeBatch(o.decoder)),
      concatMap(routeBadInput(o.deadLetters)),
      map(vectorize),
      map(score(o.models)),
      concatMap(writeVerdicts(o.verdicts)),
      tap<FlowBatch>(acknowledge(o.source)),
    ),
  );
}
