/**
 * Sends the ledger's durable offsets to the group, one commit at a time. Requests made while a
 * commit runs coalesce into the next one (which sends whatever is durable by then), so a fast
 * pipeline costs a commit per round trip, not one per batch.
 *
 * Failures never reject `request()`:
 * - a rebalance error, or one kafkajs deems retriable, is retried after `retryMs`, with the
 *   offsets the ledger holds then, i.e. only partitions still owned after the rebalance;
 * - anything else is fatal and handed to `onFatal`.
 * A commit counts as done only when the ledger saw it confirmed (kafkajs' COMMIT_OFFSETS
 * event): kafkajs resolves without committing while its runner is stopped (a crash restart).
 */
import type { Logger } from 'pino';
import { isRebalanceError, KafkaCommitError, wrapKafkaError } from './errors.js';
import type { OffsetLedger, PartitionOffset } from './offset-ledger.js';

export interface CommitPumpOptions {
  /** Used in messages: which source commits. */
  name: string;
  groupId: string;
  ledger: OffsetLedger;
  /** Sends one commit (kafkajs' consumer.commitOffsets). */
  send(offsets: PartitionOffset[]): Promise<void>;
  retryMs: number;
  /** Whether a failed commit may still be retried (false once the source stopped). */
  mayRetry(): boolean;
  onFatal(error: KafkaCommitError): void;
  log: Logger;
}

export function describeOffsets(offsets: readonly PartitionOffset[]): string {
  return offsets.map((o) => `${o.topic}[${o.partition}]=${o.offset}`).join(', ');
}

export class CommitPump {
  readonly #o: CommitPumpOptions;
  #queued = false;
  #chain: Promise<void> = Promise.resolve();
  #retryTimer: NodeJS.Timeout | undefined;
  commits = 0;
  failures = 0;

  constructor(options: CommitPumpOptions) {
    this.#o = options;
  }

  /** Commits what is durable now (or soon after the commit in progress); never rejects. */
  request(): Promise<void> {
    if (!this.#queued) {
      this.#queued = true;
      this.#chain = this.#chain.then(() => {
        this.#queued = false;
        return this.#commitOnce();
      });
    }
    return this.#chain;
  }

  cancelRetry(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #scheduleRetry(): void {
    if (this.#retryTimer || !this.#o.mayRetry()) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.request();
    }, this.#o.retryMs);
    this.#retryTimer.unref();
  }

  async #commitOnce(): Promise<void> {
    const { ledger, log, name, groupId } = this.#o;
    const offsets = ledger.uncommitted();
    if (offsets.length === 0) return;
    try {
      await this.#o.send(offsets);
    } catch (err) {
      this.failures += 1;
      const error = wrapKafkaError(KafkaCommitError, `${name}: committing ${describeOffsets(offsets)} failed`, err, { groupId });
      if (isRebalanceError(err) || error.retriable) {
        log.warn({ err: error }, 'commit failed; retrying with the offsets still owned then');
        this.#scheduleRetry();
      } else {
        this.#o.onFatal(error);
      }
      return;
    }
    const unconfirmed = ledger
      .uncommitted()
      .filter((u) => offsets.some((o) => o.topic === u.topic && o.partition === u.partition && BigInt(u.offset) <= BigInt(o.offset)));
    if (unconfirmed.length > 0) {
      this.failures += 1;
      log.warn({ offsets: describeOffsets(unconfirmed) }, 'commit not confirmed by kafkajs; retrying');
      this.#scheduleRetry();
    } else {
      this.commits += 1;
    }
  }
}
