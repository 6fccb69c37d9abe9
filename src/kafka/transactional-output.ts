/**
 * Exactly-once output of `vigil serve`: one Kafka transaction per micro-batch holding its
 * verdicts, its dead letters and the input offsets of the batch (sendOffsets to the consumer
 * group), so the group's progress and what it wrote commit together or not at all.
 *
 * The verdict and dead-letter sinks here only stage records (no I/O); `commit(offsets)` opens
 * the transaction, sends every staged record, adds the offsets and commits; `discard()` drops
 * what was staged (a stale batch, see OffsetLedger.settle). Readers of the verdict topic must
 * read with isolation read_committed (kafkajs' default, `readUncommitted: false`), or they see
 * the records of aborted transactions too.
 *
 * A killed instance leaves its open transaction to the broker, which aborts it after
 * `transactionTimeoutMs`; a restarted instance with the same transactional id aborts it at
 * once (and fences the old producer; openTransactionalOutput registers the id at startup).
 *
 * kafkajs 2.2.4 sends TxnOffsetCommit v0-v1, without the group generation (KIP-447), and
 * OffsetFetch v4, without requireStable, so the broker neither fences a member that lost its
 * partitions nor makes the new owner wait for a pending transactional commit. This side covers
 * the usual case: a batch handed out before a rebalance started is dropped, not committed
 * (OffsetLedger.settle, `stale`). What remains is a window of one commit round trip: a
 * rebalance that starts while a transaction's EndTxn is in flight, after the stale check,
 * can let the new owner read the old offset and score those records again.
 */
import type { Kafka, Producer, Transaction } from 'kafkajs';
import type { Verdict } from '../events/verdict.js';
import { VerdictType } from '../events/flow-event.js';
import type { BadInput } from '../sources/record.js';
import type { DeadLetterSink } from '../stages/route-bad-input.js';
import type { VerdictSink } from '../sinks/verdict-jsonl.js';
import { DeadLetterCounts, deadLetterRecords } from './dead-letter-sink.js';
import { KafkaProduceError, KafkaStateError, wrapKafkaError } from './errors.js';
import type { PartitionOffset } from './offset-ledger.js';
import { KafkaTransactionSchema, parseSettings, type KafkaTransactionOptions, type KafkaTransactionSettings } from './settings.js';
import type { KeyedRecord } from './topic-producer.js';
import { createValueEncoder } from './value-codec.js';
import { verdictRecords } from './verdict-sink.js';
import kafkajs from 'kafkajs';

const { Partitioners } = kafkajs;

export interface TransactionalOutput {
  readonly settings: Readonly<KafkaTransactionSettings>;
  /** Stages verdicts for the next commit. */
  readonly verdicts: VerdictSink;
  /** Stages dead letters for the next commit; counts what committed transactions hold. */
  readonly deadLetters: DeadLetterSink & { counts(): Record<string, number>; readonly total: number };
  /** Transactions committed and batches discarded so far. */
  stats(): { commits: number; discards: number };
  /** One transaction: the staged records and `offsets` (the input group's), committed together. */
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
  /** Drops the staged records without writing them. */
  discard(): void;
  /** Disconnects; idempotent. Staged records are dropped. */
  close(): Promise<void>;
}

function groupOffsets(offsets: readonly PartitionOffset[]): { topic: string; partitions: { partition: number; offset: string }[] }[] {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const { topic, partition, offset } of offsets) byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition, offset }]);
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/** Connects a transactional producer and registers its transactional id, fencing an older holder of it. */
export async function openTransactionalOutput(kafka: Kafka, options: KafkaTransactionOptions): Promise<TransactionalOutput> {
  const s = parseSettings(KafkaTransactionSchema, options, 'kafka transactional output');
  const what = `transactional output ${s.transactionalId}`;
  const encode = createValueEncoder<Verdict>(VerdictType, s.verdictFormat, 'verdict');
  const producer: Producer = kafka.producer({
    transactionalId: s.transactionalId,
    transactionTimeout: s.transactionTimeoutMs,
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: s.retries },
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  try {
    await producer.connect();
    // kafkajs registers the transactional id (InitProducerId) only at the first transaction:
    // open and drop an empty one now, so a restarted instance fences its predecessor and
    // aborts the transaction it left open before reading anything.
    await (await producer.transaction()).abort();
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    throw wrapKafkaError(KafkaProduceError, `${what}: connecting the producer and registering its transactional id failed`, err, {});
  }
  let verdicts: KeyedRecord[] = [];
  let deadLetters: KeyedRecord[] = [];
  const counts = new DeadLetterCounts();
  const stats = { commits: 0, discards: 0 };
  let closed = false;

  const abort = async (transaction: Transaction, failure: unknown): Promise<never> => {
    // The broker aborts it after the transaction timeout anyway; aborting now frees read_committed readers sooner.
    if (transaction.isActive()) await transaction.abort().catch(() => undefined);
    throw wrapKafkaError(KafkaProduceError, `${what}: the transaction failed and was aborted; its records will be read again`, failure, {});
  };

  return {
    settings: s,
    verdicts: {
      async write(items) {
        verdicts.push(...verdictRecords(items, encode));
      },
      // The producer is the output's: close() closes it.
      close: async () => undefined,
    },
    deadLetters: {
      async write(items: readonly BadInput[]) {
        deadLetters.push(...deadLetterRecords(items, new Date(), s.rawEncoding));
      },
      counts: () => counts.counts(),
      get total() {
        return counts.total;
      },
    },
    stats: () => ({ ...stats }),

    async commit(offsets) {
      if (closed) throw new KafkaStateError(`${what}: closed`);
      const staged = { verdicts, deadLetters };
      verdicts = [];
      deadLetters = [];
      let transaction: Transaction;
      try {
        transaction = await producer.transaction();
      } catch (err) {
        throw wrapKafkaError(KafkaProduceError, `${what}: opening a transaction failed`, err, {});
      }
      try {
        const topicMessages = [
          { topic: s.verdictTopic, messages: staged.verdicts },
          { topic: s.dlqTopic, messages: staged.deadLetters },
        ].filter((t) => t.messages.length > 0);
        if (topicMessages.length > 0) await transaction.sendBatch({ topicMessages, acks: -1, timeout: s.ackTimeoutMs });
        if (offsets.length > 0) await transaction.sendOffsets({ consumerGroupId: s.groupId, topics: groupOffsets(offsets) });
        await transaction.commit();
      } catch (err) {
        return abort(transaction, err);
      }
      counts.add(staged.deadLetters);
      stats.commits += 1;
    },

    discard() {
      verdicts = [];
      deadLetters = [];
      stats.discards += 1;
    },

    async close() {
      if (closed) return;
      closed = true;
      verdicts = [];
      deadLetters = [];
      try {
        await producer.disconnect();
      } catch (err) {
        throw wrapKafkaError(KafkaProduceError, `${what}: disconnecting failed`, err, {});
      }
    },
  };
}
