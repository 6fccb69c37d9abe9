/**
 * The training collector: turns labelled outcomes into training samples for the retrainer.
 *
 * For each micro-batch of label records from a RecordSource (the Kafka labels topic, a file
 * of JSON lines, ...):
 *   1. decode every record; a record that is not a valid label is a dead letter with the
 *      decoder's reason (`bad-json`, `bad-label`, ...);
 *   2. look up, in one `vectorsAsOf` call, the vector each label's event was scored with as
 *      of the label's time, never a later one (point-in-time correct);
 *   3. write the joined samples to `training_samples` in one insert, and the dead letters
 *      (bad records, and labels of events with no such vector: `unknown-event`) to the
 *      dead-letter sink;
 *   4. only once both writes are durable, count the batch and `markDurable` its last position.
 * A failed write ends run() with that error and leaves the batch unacknowledged, so the
 * source delivers it again: at-least-once, like the store's inserts.
 */
import { ConfigError } from '../errors/vigil-error.js';
import type { Label } from '../kafka/label-codec.js';
import type { BadInput, Decoder, RawRecord, RecordSource } from '../sources/record.js';
import type { DeadLetterSink } from '../stages/route-bad-input.js';
import type { OfflineStore } from '../store/offline-store.js';
import { countBatch, emptyCounters, snapshotCounters, type CollectorCounters } from './collector-counters.js';
import { joinLabels, unknownEventLetter, vectorLookupOf, type LabelRecord } from './label-join.js';
import { TrainingCollectorError } from './training-collector-error.js';

export interface TrainingCollectorOptions {
  /** Label records; acknowledged through `markDurable` once each batch is durable. */
  source: RecordSource;
  /** Turns the source's records into labels (createLabelDecoder, or one for a file). */
  decoder: Decoder<Label>;
  /** Where vectors are looked up and samples written. */
  store: Pick<OfflineStore, 'vectorsAsOf' | 'insertTrainingSamples'>;
  /** Receives bad records and labels of unknown events; must resolve once they are durable. */
  deadLetters: DeadLetterSink;
  /** Micro-batch bounds passed to `source.batches`. Defaults: TRAINING_COLLECTOR_DEFAULTS.batch. */
  batch?: { maxSize?: number; maxWaitMs?: number };
}

export const TRAINING_COLLECTOR_DEFAULTS = Object.freeze({
  /**
   * Labels arrive at human pace (analysts, the council) or in bursts (a labelled dataset):
   * a second's wait costs nothing, and 500 labels keep one insert and one lookup small.
   */
  batch: Object.freeze({ maxSize: 500, maxWaitMs: 1_000 }),
});

export type TrainingCollectorState = 'idle' | 'running' | 'stopped' | 'failed';

function resolveBatch(batch: TrainingCollectorOptions['batch'] = {}): { maxSize: number; maxWaitMs: number } {
  const maxSize = batch.maxSize ?? TRAINING_COLLECTOR_DEFAULTS.batch.maxSize;
  const maxWaitMs = batch.maxWaitMs ?? TRAINING_COLLECTOR_DEFAULTS.batch.maxWaitMs;
  if (!Number.isSafeInteger(maxSize) || maxSize < 1) throw new ConfigError(`TrainingCollector: batch.maxSize must be an integer >= 1, got ${String(maxSize)}`);
  if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0) throw new ConfigError(`TrainingCollector: batch.maxWaitMs must be a finite number >= 0, got ${String(maxWaitMs)}`);
  return { maxSize, maxWaitMs };
}

/** Splits a micro-batch into labels and bad input, in record order. */
function decodeLabels(decoder: Decoder<Label>, records: readonly RawRecord[]): { labels: LabelRecord[]; bad: BadInput[] } {
  const out: { labels: LabelRecord[]; bad: BadInput[] } = { labels: [], bad: [] };
  for (const record of records) {
    const decoded = decoder.decode(record);
    if (decoded.ok) out.labels.push({ label: decoded.value, position: decoded.position, raw: record.text });
    else out.bad.push({ position: decoded.position, reason: decoded.reason, raw: decoded.raw });
  }
  return out;
}

const STOP = Symbol('stop');

export class TrainingCollector {
  readonly #source: RecordSource;
  readonly #decoder: Decoder<Label>;
  readonly #store: TrainingCollectorOptions['store'];
  readonly #deadLetters: DeadLetterSink;
  readonly #batch: { maxSize: number; maxWaitMs: number };
  readonly #counters = emptyCounters();
  #state: TrainingCollectorState = 'idle';
  #stopRequested = false;
  #requestStop: () => void = () => {};
  readonly #stopSignal = new Promise<typeof STOP>((resolve) => {
    this.#requestStop = () => resolve(STOP);
  });
  #running: Promise<CollectorCounters> | undefined;
  /** An error of a pull abandoned by stop(): kept so it is seen, not swallowed. */
  #abandonedPullError: unknown;

  constructor(options: TrainingCollectorOptions) {
    this.#source = options.source;
    this.#decoder = options.decoder;
    this.#store = options.store;
    this.#deadLetters = options.deadLetters;
    this.#batch = resolveBatch(options.batch);
  }

  get state(): TrainingCollectorState {
    return this.#state;
  }

  /** Counts of durable batches so far (a copy). */
  counters(): CollectorCounters {
    return snapshotCounters(this.#counters);
  }

  /** The error of a pull that was pending when stop() was called and failed later, if any. */
  get abandonedPullError(): unknown {
    return this.#abandonedPullError;
  }

  /**
   * Collects until the source ends or stop() is called, and resolves with the counters.
   * Rejects with the first failed lookup or write (that batch stays unacknowledged).
   * Callable once.
   */
  run(): Promise<CollectorCounters> {
    if (this.#state !== 'idle') throw new TrainingCollectorError(`TrainingCollector.run: expected state idle, got ${this.#state}`);
    this.#state = 'running';
    this.#running = this.#loop().then(
      () => {
        this.#state = 'stopped';
        return this.counters();
      },
      (err: unknown) => {
        this.#state = 'failed';
        throw err;
      },
    );
    return this.#running;
  }

  /**
   * Ends run() after the batch in hand is durable, and resolves like run(). A pull still
   * waiting for records is abandoned: whatever it brings is not acknowledged, so the source
   * delivers it again. It does not close the source; its owner does (a Kafka source's own
   * stop() also ends run(), after draining).
   */
  async stop(): Promise<CollectorCounters> {
    this.#stopRequested = true;
    this.#requestStop();
    if (!this.#running) {
      this.#state = 'stopped';
      return this.counters();
    }
    return this.#running;
  }

  async #loop(): Promise<void> {
    const batches = this.#source.batches(this.#batch)[Symbol.asyncIterator]();
    let pullPending = false;
    try {
      while (!this.#stopRequested) {
        const pull = batches.next();
        pullPending = true;
        const step = await Promise.race([pull, this.#stopSignal]);
        if (step === STOP) {
          pull.then(
            () => undefined,
            (err: unknown) => {
              this.#abandonedPullError = err;
            },
          );
          return;
        }
        pullPending = false;
        if (step.done) return;
        await this.#collect(step.value);
      }
    } finally {
      // return() on a generator with a pull in flight would wait for that pull: skip it then.
      if (!pullPending) await batches.return?.();
    }
  }

  async #collect(records: RawRecord[]): Promise<void> {
    const last = records.at(-1)?.position;
    if (!last) return;
    const { labels, bad } = decodeLabels(this.#decoder, records);
    const vectors = labels.length > 0 ? await this.#store.vectorsAsOf(labels.map((r) => vectorLookupOf(r.label))) : [];
    const { samples, unknown } = joinLabels(labels, vectors);
    const deadLetters = [...bad, ...unknown.map(unknownEventLetter)];
    await Promise.all([
      samples.length > 0 ? this.#store.insertTrainingSamples(samples) : undefined,
      deadLetters.length > 0 ? this.#deadLetters.write(deadLetters) : undefined,
    ]);
    countBatch(this.#counters, {
      records: records.length,
      collectedSources: samples.map((s) => s.source),
      unknownSources: unknown.map((r) => r.label.source),
      bad: bad.length,
    });
    this.#source.markDurable(last);
  }
}
