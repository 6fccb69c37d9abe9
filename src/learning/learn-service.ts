/**
 * `vigil learn` as a service: the three parts of the retraining loop in one process.
 *
 *   labels topic -> TrainingCollector -> training_samples (offline store)
 *   RetrainScheduler (BullMQ on Redis): checks the triggers every `checkEveryMs`; one job per
 *     trigger window across every running `vigil learn`
 *   Retrainer: base data + samples -> candidate -> hold-out -> promotion rule -> registry
 *
 * Any number of instances may run: the labels are shared by the consumer group, and the
 * queue runs one retrain at a time. `stop()` drains the labels source (the last batch is
 * written and committed), lets a running retrain finish, and closes every connection.
 */
import { ensureTopics } from '../kafka/admin.js';
import { createKafka, type Kafka } from '../kafka/client.js';
import { openKafkaDeadLetterSink } from '../kafka/dead-letter-sink.js';
import { openLabelSource } from '../kafka/label-topic.js';
import { initBackend } from '../inference/backend.js';
import type { OfflineStore } from '../store/offline-store.js';
import { childLogger } from '../telemetry/logger.js';
import { DEFAULT_ENSEMBLE_OPTIONS, withHiddenWidths } from '../ensemble/train-ensemble.js';
import { EnsembleCandidateTrainer, MlpCandidateTrainer, type CandidateTrainer } from './candidate-trainer.js';
import type { CollectorCounters } from './collector-counters.js';
import type { LearnSettings } from './learn-settings.js';
import { offlineStoreLocation, openOfflineStore } from '../store/open-stores.js';
import { RetrainScheduler } from './retrain-scheduler.js';
import { Retrainer } from './retrainer.js';
import { TrainingCollector } from './training-collector.js';

export interface LearnDeps {
  kafka?: Kafka;
  /** An open store to use instead of the one the settings name (not closed by stop()). */
  store?: OfflineStore;
  /** The candidate trainer (default: the settings' `trainer`: the flow MLP with their epochs and patience, or the ensemble). */
  trainer?: CandidateTrainer;
}

export interface LearnHandle {
  scheduler: RetrainScheduler;
  collector: TrainingCollector;
  /** Resolves with the collector's counters once stopped; rejects if the collector failed. */
  done: Promise<CollectorCounters>;
  stop(): Promise<CollectorCounters>;
}

const log = childLogger('learn');

/**
 * The trainer the settings name: the flow MLP with their epochs, patience and widths, or the
 * ensemble with its own defaults but their widths for the general model and router (so a
 * retrain can keep the shipped model's recipe: README, "The retraining loop").
 */
export function candidateTrainer(s: Pick<LearnSettings, 'trainer' | 'maxEpochs' | 'patience' | 'hidden'>): CandidateTrainer {
  if (s.trainer === 'ensemble') return new EnsembleCandidateTrainer(withHiddenWidths(DEFAULT_ENSEMBLE_OPTIONS, s.hidden));
  return new MlpCandidateTrainer({ maxEpochs: s.maxEpochs, patience: s.patience, ...(s.hidden && { hidden: s.hidden }) });
}

export async function startLearn(s: LearnSettings, deps: LearnDeps = {}): Promise<LearnHandle> {
  await initBackend(s.backend);
  const ownStore = deps.store === undefined;
  const store = deps.store ?? openOfflineStore(offlineStoreLocation(s.offlineStore, s.clickhouseDatabase));
  await store.migrate();
  const kafka = deps.kafka ?? createKafka({ brokers: s.brokers, clientId: `vigil-learn-${process.pid}` });
  await ensureTopics(kafka, [{ topic: s.labelsTopic, partitions: 1 }, { topic: s.dlqTopic, partitions: 1 }]);
  const { source, decoder } = await openLabelSource(kafka, { topics: [s.labelsTopic], groupId: s.groupId, fromBeginning: true, format: { type: s.labelFormat } });
  const deadLetters = await openKafkaDeadLetterSink(kafka, { topic: s.dlqTopic, rawEncoding: s.labelFormat === 'json' ? 'utf8' : 'base64' });
  const collector = new TrainingCollector({ source, decoder, store, deadLetters });
  const retrainer = new Retrainer({
    modelsDir: s.modelsDir,
    baseData: s.baseData,
    holdoutData: s.holdoutData,
    store,
    trainer: deps.trainer ?? candidateTrainer(s),
    rule: { minMacroF1Gain: s.minF1Gain, maxRecallDrop: s.maxRecallDrop },
    seed: s.seed,
    minClassRows: s.minClassRows,
    featureVersion: s.featureVersion,
  });
  const scheduler = new RetrainScheduler({
    redisUrl: s.redisUrl,
    prefix: s.queuePrefix,
    checkEveryMs: s.checkEveryMs,
    store,
    retrain: retrainer.retrain,
    triggers: { minNewSamples: s.minNewSamples, maxAgeMs: s.maxAgeMs, overrideRate: { threshold: s.overrideThreshold } },
  });
  await scheduler.start();
  const done = collector.run();
  log.info({ labelsTopic: s.labelsTopic, groupId: s.groupId, offlineStore: s.offlineStore, modelsDir: s.modelsDir }, 'learn: collecting labels and checking the retrain triggers');

  let stopping: Promise<CollectorCounters> | undefined;
  const stop = (): Promise<CollectorCounters> =>
    (stopping ??= (async () => {
      // The source drains and commits its last batch; the collector's run then ends.
      await source.stop();
      const counters = await collector.stop().catch((error: unknown) => {
        log.error({ err: error }, 'learn: the collector had failed');
        return collector.counters();
      });
      await scheduler.close();
      await deadLetters.close();
      if (ownStore) await store.close();
      return counters;
    })());
  // A failed collector stops the service: a loop that no longer collects must not look alive.
  done.catch((error: unknown) => {
    log.error({ err: error }, 'learn: the collector failed; stopping');
    void stop();
  });
  return { scheduler, collector, done, stop };
}
