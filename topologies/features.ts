/**
 * features: raw events (flows, Cowrie, sshd) in, feature-version-2 vectors out. The same
 * wiring serves a live source and a backfill (an OfflineEventSource replaying the `events`
 * table): only the source and its decoder differ.
 *
 *   source ──batches──▶ decode (flows and security events) ──▶ dead-letter bad input
 *          ──▶ record events (offline store, for backfill)
 *          ──▶ [release sources on a rebalance] ──▶ restore source states (state store; from
 *              the snapshot before the batch's records, if a first attempt saved them)
 *          ──▶ featurize (one FeaturePipeline, 100 dims)
 *          ──▶ score flows (model) ──▶ learn from confident verdicts (feature 83)
 *          ──▶ save source states ──▶ record scored vectors + verdicts (offline store)
 *          ──▶ evict idle sources ──▶ [write feature lines] ──▶ [write verdicts] ──▶ acknowledge
 *              (with a state store: and wait for the commit, so that one snapshot back covers
 *              what a restart reads again; or commit the batch's transaction, and undo the
 *              batch in the pipeline if a rebalance made it stale)
 *
 * With a model and a verdict sink it is also how `vigil detect` serves a model of feature
 * version 2, which needs each source's state (the detect topology computes flow-v1 only).
 *
 * The pipeline holds the per-source and global group states across batches, so events are
 * featurized strictly in source order (concatMap, one batch in flight: pullBatches). The same
 * FeaturePipeline replayed over the same events gives the same vectors. A stage whose store
 * is not configured passes the batch through. Wiring only: every stage lives in src/stages/.
 */
import { concatMap, map, tap, type Observable } from 'rxjs';
import type { FeaturePipeline } from '../src/features/pipeline.js';
import { pullBatches } from '../src/operators/pull-batches.js';
import type { InputEvent } from '../src/sources/file-source.js';
import type { Decoder, RecordSource } from '../src/sources/record.js';
import { acknowledge, acknowledgeCommitted } from '../src/stages/acknowledge.js';
import type { Settlement } from '../src/stages/commit-transaction.js';
import { decodeBatch } from '../src/stages/decode-batch.js';
import type { EventBatch } from '../src/stages/event-batch.js';
import { ConfigError } from '../src/errors/vigil-error.js';
import { featurize } from '../src/stages/featurize.js';
import { learnFromVerdicts } from '../src/stages/learn-from-verdicts.js';
import { recordScoredVectors } from '../src/stages/record-scored-vectors.js';
import type { ModelProvider } from '../src/stages/score.js';
import { scoreVectors } from '../src/stages/score-vectors.js';
import { recordEvents } from '../src/stages/record-events.js';
import { settleBatch } from '../src/stages/settle-batch.js';
import { routeBadInput, type DeadLetterSink } from '../src/stages/route-bad-input.js';
import { evictIdleSources, heldSources, releaseSourcesOnRebalance, restoreSourceStates, saveSourceStates, type GroupMembership, type SourceStateCounters } from '../src/stages/source-states.js';
import { writeFeatureVectors } from '../src/stages/write-feature-vectors.js';
import { writeVerdicts } from '../src/stages/write-verdicts.js';
import type { VerdictSink } from '../src/sinks/verdict-jsonl.js';
import type { OfflineStore } from '../src/store/offline-store.js';
import type { SourceStateStore } from '../src/store/source-state-store.js';
import type { FeatureLineSink } from '../src/vector/v2/feature-line-sink.js';

export interface FeaturesTopologyOptions {
  source: RecordSource;
  decoder: Decoder<InputEvent>;
  deadLetters: DeadLetterSink;
  pipeline: FeaturePipeline;
  /** Where each event's feature line goes; none: not written. */
  vectors?: FeatureLineSink;
  /** Where the model's verdicts go (one per flow); none: not written. */
  verdicts?: VerdictSink;
  /** Micro-batch bounds: a batch closes at maxSize records or maxWaitMs after its first one. */
  batch: { maxSize: number; maxWaitMs: number };
  /** Where per-source states live between batches and processes; none: this process only. */
  stateStore?: SourceStateStore;
  /**
   * With a state store, sources idle longer than this (event time, ms) leave memory; default
   * and without a store: the pipeline's source TTL, after which their states are void anyway.
   */
  idleMs?: number;
  /** Counts of the state stages, for a run summary. */
  counters?: SourceStateCounters;

  /**
   * With a state store shared by a consumer group (the KafkaSource): after each rebalance the
   * held sources are dropped and restored from the store, and sources with records the group
   * will read again save no snapshot (stages/source-states.ts).
   */
  group?: GroupMembership;
  /** Where events are recorded for backfill (none for a backfill itself), and scored vectors. */
  offline?: OfflineStore;
  /** Scores flows; its confident verdicts teach feature 83. None: vectors only. */
  models?: ModelProvider;
  /** Least top probability of a verdict that teaches feature 83 (default 0.9). */
  minLearnConfidence?: number;
  /**
   * How a batch whose outputs are written is acknowledged; by default source.markDurable
   * (with a state store, then awaiting source.committed). A transactional output commits the
   * batch here (see stages/commit-transaction.ts); a batch it drops as stale is undone in the
   * pipeline (stages/settle-batch.ts).
   */
  acknowledge?: (batch: EventBatch) => Promise<Settlement>;
}

export const MIN_LEARN_CONFIDENCE_DEFAULT = 0.9;

const passThrough = async (batch: EventBatch): Promise<EventBatch> => batch;
const unchanged = (batch: EventBatch): EventBatch => batch;

export function featuresTopology(o: FeaturesTopologyOptions): Observable<EventBatch> {
  const store = o.stateStore;
  const models = o.models;
  const held = heldSources(o.pipeline, o.counters);
  const settle = o.acknowledge;
  if (o.verdicts && !models) throw new ConfigError('features topology: a verdict sink needs a model to score the flows');
  if (models && o.batch.maxSize > o.pipeline.outcomeLag) {
    // A verdict must be known before its outcome falls due, or replays would learn at other steps.
    throw new ConfigError(`features topology: batch size ${o.batch.maxSize} exceeds the pipeline's outcome lag ${o.pipeline.outcomeLag}`);
  }
  return pullBatches(o.source.batches(o.batch), (records$) =>
    records$
      .pipe(
        map(decodeBatch(o.decoder)),
        concatMap(routeBadInput(o.deadLetters)),
        concatMap(o.offline ? recordEvents(o.offline) : passThrough),
        map(store && o.group ? releaseSourcesOnRebalance(held, o.group) : unchanged),
        concatMap(store ? restoreSourceStates(store, held) : passThrough),
        map(featurize(o.pipeline)),
        map(models ? scoreVectors(models) : unchanged),
        map(models ? learnFromVerdicts(o.pipeline, o.minLearnConfidence ?? MIN_LEARN_CONFIDENCE_DEFAULT) : unchanged),
      )
      .pipe(
        concatMap(store ? saveSourceStates(store, held, o.group) : passThrough),
        concatMap(o.offline && models ? recordScoredVectors(o.offline) : passThrough),
        map(evictIdleSources(held, store ? (o.idleMs ?? o.pipeline.sourceTtlMs) : o.pipeline.sourceTtlMs)),
        concatMap(o.vectors ? writeFeatureVectors(o.vectors) : passThrough),
        concatMap(o.verdicts ? writeVerdicts<EventBatch>(o.verdicts) : passThrough),
        settle
          ? concatMap(settleBatch(settle, held, { stateStore: store !== undefined }))
          : store
          ? concatMap(async (batch: EventBatch) => (await acknowledgeCommitted(o.source)(batch), batch))
          : tap<EventBatch>(acknowledge(o.source)),
      ),
  );
}
