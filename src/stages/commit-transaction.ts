import type { SettledBatch } from '../kafka/offset-ledger.js';
import type { PartitionOffset } from '../kafka/offset-ledger.js';
import type { Position } from '../sources/record.js';

/** The source side of a transactional commit (KafkaSource with commits: 'transaction'). */
export interface TransactionalSource {
  commitTransactionally(last: Position, commit: (settled: SettledBatch) => Promise<boolean>): Promise<void>;
}

/** The output side: what the batch's stages staged, committed with the offsets or dropped. */
export interface BatchTransaction {
  commit(offsets: readonly PartitionOffset[]): Promise<void>;
  discard(): void;
}

/**
 * How a batch ended: its results and offsets are `committed`, or they were dropped and the
 * group will deliver its records again (`read-again`), maybe to this process.
 */
export type Settlement = 'committed' | 'read-again';

/**
 * The last stage in exactly-once mode, in place of acknowledge: the batch's staged verdicts
 * and dead letters and its input offsets commit in one transaction, or, when a rebalance made
 * the batch stale (its records are being read again), are dropped.
 */
export function commitTransaction(source: TransactionalSource, output: BatchTransaction): (batch: { last: Position | null }) => Promise<Settlement> {
  return async (batch) => {
    if (!batch.last) return 'committed';
    let settlement: Settlement = 'committed';
    await source.commitTransactionally(batch.last, async ({ offsets, stale }) => {
      if (stale) {
        output.discard();
        settlement = 'read-again';
        return false;
      }
      await output.commit(offsets);
      return true;
    });
    return settlement;
  };
}
