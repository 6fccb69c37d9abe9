/**
 * detect: raw flows in, verdicts out.
 *
 *   source ──batches──▶ decode ──▶ dead-letter bad input ──▶ vectorize (v1, 79 dims)
 *          ──▶ score (TF.js, one forward pass per micro-batch) ──▶ [fold per-IP state]
 *          ──▶ [record scored vectors + verdicts (offline store)]
 *          ──▶ write verdicts ──▶ acknowledge (or commit the batch's transaction)
 *
 * State goes to the online store before the batch is acknowledged, each update carrying its
 * record's position, so a batch read again after a crash re-scores (the model is stateless per
 * flow: same verdicts) but is not counted again.
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
import type { Settlement } from '../src/stages/commit-transaction.js';
import type { OfflineStore } from '../src/store/offline-store.js';
import type { OnlineStore } from '../src/store/online-store.js';
import { recordScoredFlows } from '../src/stages/record-scored-vectors.js';
import { applyState } from '../src/stages/apply-state.js';
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
  /** Where per-IP baseline state is folded; none: no state. */
  state?: OnlineStore;
  /** Where scored vectors and verdicts are recorded for the training collector; none: not recorded. */
  offline?: OfflineStore;
  /**
   * How a batch whose outputs are written is acknowledged; by default source.markDurable. A
   * transactional output commits the batch here (see stages/commit-transaction.ts).
   */
  acknowledge?: (batch: FlowBatch) => Promise<Settlement>;
}

export function detectTopology(o: DetectTopologyOptions): Observable<FlowBatch> {
  const passThrough = async (batch: FlowBatch): Promise<FlowBatch> => batch;
  const withState = o.state ? applyState(o.state) : passThrough;
  const recorded = o.offline ? recordScoredFlows(o.offline) : passThrough;
  const settle = o.acknowledge;
  return pullBatches(o.source.batches(o.batch), (records$) =>
    records$.pipe(
      map(decodeBatch(o.decoder)),
      concatMap(routeBadInput(o.deadLetters)),
      map(vectorize),
      map(score(o.models)),
      concatMap(withState),
      concatMap(recorded),
      concatMap(writeVerdicts(o.verdicts)),
      settle ? concatMap(async (batch: FlowBatch) => (await settle(batch), batch)) : tap<FlowBatch>(acknowledge(o.source)),
    ),
  );
}
