/**
 * The commit policy of the Kafka source, as pure bookkeeping (no I/O):
 *
 * 1. `handOut(batch)`: a batch went to the pipeline. Per partition, remember the offset after
 *    its last record there. A batch may mix partitions; the pipeline acknowledges it only by its
 *    last position, so the ledger keeps the whole batch.
 * 2. `markDurable(last)`: the batch ending at `last`, and every batch handed out before it, is
 *    durable (its state writes, verdicts and dead letters are written). Their offsets become
 *    commit candidates; a partition's candidate only ever moves forward.
 * 3. `uncommitted()`: candidates of partitions this member owns that the group has not
 *    committed yet; `confirmCommitted()` records what the broker accepted.
 * 4. `assign(assignment)`: a rebalance finished. Partitions no longer owned are forgotten
 *    everywhere (handed-out batches, candidates, commits): their records will be re-read by the
 *    new owner from the group's committed offset, and this member must not move that offset any
 *    more, whatever its pipeline finishes later.
 *
 * Transactional commits (exactly-once) take another path through the same bookkeeping:
 * `settle(last)` in place of markDurable, then `confirmCommitted()` once the transaction
 * holding the batch's outputs and offsets committed. A batch handed out before the latest
 * `rebalanceStarted()` comes back `stale`: its partitions are being fetched again from the
 * group's committed offset (by this member or a new owner), so its outputs must be dropped,
 * not committed, or they would be written twice.
 *
 * Offsets are decimal strings on the wire (int64) and BigInt here.
 */
import type { KafkaPosition } from './kafka-record.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** A commit: `offset` is the next offset to read (last processed + 1), as Kafka expects. */
export interface PartitionOffset extends TopicPartition {
  offset: string;
}

interface Candidate extends TopicPartition {
  next: bigint;
}

interface HandedOutBatch {
  last: KafkaPosition;
  next: Map<string, Candidate>;
  /** The rebalance epoch when the batch was handed out. */
  epoch: number;
}

/** What a transaction must commit for a settled batch (see OffsetLedger.settle). */
export interface SettledBatch {
  /** Offsets to commit with the batch's outputs: owned partitions only. */
  offsets: PartitionOffset[];
  /** A rebalance started after the batch (or one before it) was handed out: drop its outputs. */
  stale: boolean;
}

const byTopicPartition = (a: TopicPartition, b: TopicPartition): number => a.topic.localeCompare(b.topic) || a.partition - b.partition;

const keyOf = (topic: string, partition: number): string => `${topic}[${partition}]`;

function raise(map: Map<string, Candidate>, topic: string, partition: number, next: bigint): void {
  const key = keyOf(topic, partition);
  const current = map.get(key);
  if (!current) map.set(key, { topic, partition, next });
  else if (next > current.next) current.next = next;
}

export class OffsetLedger {
  readonly #owned = new Map<string, TopicPartition>();
  readonly #handedOut: HandedOutBatch[] = [];
  readonly #durable = new Map<string, Candidate>();
  readonly #committed = new Map<string, bigint>();
  #epoch = 0;

  /** A rebalance started: every batch handed out so far is stale for transactional commits. */
  rebalanceStarted(): void {
    this.#epoch += 1;
  }

  /** Replaces the assignment (a kafkajs memberAssignment: topic -> partitions). */
  assign(assignment: Readonly<Record<string, readonly number[]>>): { revoked: TopicPartition[]; added: TopicPartition[] } {
    const next = new Map<string, TopicPartition>();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) next.set(keyOf(topic, partition), { topic, partition });
    }
    const revoked = [...this.#owned].filter(([key]) => !next.has(key)).map(([, tp]) => tp);
    const added = [...next].filter(([key]) => !this.#owned.has(key)).map(([, tp]) => tp);
    for (const { topic, partition } of revoked) {
      const key = keyOf(topic, partition);
      this.#durable.delete(key);
      this.#committed.delete(key);
      for (const batch of this.#handedOut) batch.next.delete(key);
    }
    this.#owned.clear();
    for (const [key, tp] of next) this.#owned.set(key, tp);
    return { revoked, added };
  }

  owns(topic: string, partition: number): boolean {
    return this.#owned.has(keyOf(topic, partition));
  }

  owned(): TopicPartition[] {
    return [...this.#owned.values()].sort(byTopicPartition);
  }

  /** Records a batch given to the pipeline (in the order given). Empty batches are not tracked. */
  handOut(records: readonly { position: KafkaPosition }[]): void {
    const last = records.at(-1)?.position;
    if (!last) return;
    const next = new Map<string, Candidate>();
    for (const { position: p } of records) {
      if (this.owns(p.topic, p.partition)) raise(next, p.topic, p.partition, BigInt(p.offset) + 1n);
    }
    this.#handedOut.push({ last, next, epoch: this.#epoch });
  }

  #indexOf(last: KafkaPosition): number {
    return this.#handedOut.findIndex((b) => b.last.topic === last.topic && b.last.partition === last.partition && b.last.offset === last.offset);
  }

  #take(last: KafkaPosition): HandedOutBatch[] | undefined {
    const at = this.#indexOf(last);
    return at === -1 ? undefined : this.#handedOut.splice(0, at + 1);
  }

  /**
   * Whether settle(last) would now answer `stale`, without settling: the batch ending at
   * `last`, or one handed out before it, was handed out before the latest rebalance started.
   * False for a position not handed out (or settled already).
   */
  isStale(last: KafkaPosition): boolean {
    const at = this.#indexOf(last);
    return at !== -1 && this.#handedOut.slice(0, at + 1).some((b) => b.epoch !== this.#epoch);
  }

  /**
   * Transactional commits: takes the batch ending at `last`, and all batches handed out before
   * it, off the handed-out list and returns the offsets to commit with their outputs, or
   * `stale` when any of them was handed out before the latest rebalance started. Nothing is
   * recorded as durable: the caller reports the commit with confirmCommitted(). Returns
   * undefined when no handed-out batch ends at `last`.
   */
  settle(last: KafkaPosition): SettledBatch | undefined {
    const batches = this.#take(last);
    if (!batches) return undefined;
    const next = new Map<string, Candidate>();
    for (const batch of batches) for (const c of batch.next.values()) raise(next, c.topic, c.partition, c.next);
    const offsets = [...next.entries()]
      .filter(([key]) => this.#owned.has(key))
      .map(([, c]) => ({ topic: c.topic, partition: c.partition, offset: c.next.toString() }))
      .sort(byTopicPartition);
    return { offsets, stale: batches.some((b) => b.epoch !== this.#epoch) };
  }

  /**
   * Marks the batch ending at `last` and all batches handed out before it durable. Returns
   * false when no handed-out batch ends at `last` (a position this source never gave, or one
   * acknowledged already).
   */
  markDurable(last: KafkaPosition): boolean {
    const batches = this.#take(last);
    if (!batches) return false;
    for (const batch of batches) {
      for (const c of batch.next.values()) raise(this.#durable, c.topic, c.partition, c.next);
    }
    return true;
  }

  /** Durable offsets of owned partitions that the group has not committed yet. */
  uncommitted(): PartitionOffset[] {
    const out: PartitionOffset[] = [];
    for (const [key, c] of this.#durable) {
      const committed = this.#committed.get(key);
      if (this.#owned.has(key) && (committed === undefined || c.next > committed)) {
        out.push({ topic: c.topic, partition: c.partition, offset: c.next.toString() });
      }
    }
    return out.sort(byTopicPartition);
  }

  /** Records commits the broker accepted (from kafkajs' COMMIT_OFFSETS event). */
  confirmCommitted(commits: readonly PartitionOffset[]): void {
    for (const { topic, partition, offset } of commits) {
      const key = keyOf(topic, partition);
      const next = BigInt(offset);
      const before = this.#committed.get(key);
      if (before === undefined || next > before) this.#committed.set(key, next);
      const candidate = this.#durable.get(key);
      if (candidate && candidate.next <= next) this.#durable.delete(key);
    }
  }

  /**
   * Whether the group already committed past `p` (by this member's own confirmed commits):
   * such a record was processed, and is fetched again only because a rebalance restarted its
   * partition from an offset read before that commit landed.
   */
  isCommitted(p: KafkaPosition): boolean {
    const next = this.#committed.get(keyOf(p.topic, p.partition));
    return next !== undefined && BigInt(p.offset) < next;
  }

  /** Batches handed out whose durability the pipeline has not reported yet. */
  get inFlightBatches(): number {
    return this.#handedOut.length;
  }

  /** What this member committed, per owned partition, as far as it knows. */
  committed(): PartitionOffset[] {
    return [...this.#committed]
      .filter(([key]) => this.#owned.has(key))
      .map(([key, next]) => ({ ...(this.#owned.get(key) as TopicPartition), offset: next.toString() }))
      .sort(byTopicPartition);
  }
}
