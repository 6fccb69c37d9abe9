/**
 * A RecordSource over one or more Kafka topics, consumed in a consumer group, so the detect
 * topology runs on Kafka unchanged.
 *
 * Push to pull. kafkajs pushes fetched batches into `eachBatch`; the pipeline pulls
 * micro-batches from `batches()`. Between them sits a bounded buffer:
 *   1. `eachBatch` copies records into the buffer, up to its capacity (by default four times
 *      the pipeline's batch size), and resolves the offset of the last one it took, so kafkajs
 *      fetches on from there. Records past the capacity are left unresolved: kafkajs fetches
 *      them again later, nothing is lost or skipped.
 *   2. When the buffer is full, or before the pipeline's first pull, every subscribed topic is
 *      paused (kafkajs `pause`): no fetches, heartbeats go on. The buffer never holds more than
 *      its capacity.
 *   3. A pull takes up to `maxSize` records (waiting up to `maxWaitMs` after the oldest one
 *      for a full batch) and resumes fetching, since the buffer has room again.
 *
 * Commits. kafkajs never commits here (autoCommit off, eachBatchAutoResolve off). The topology
 * calls `markDurable(batch.last)` once the batch's state writes, verdicts and dead letters
 * are written; then offset+1 of every partition in that batch (and earlier ones) is committed
 * (see OffsetLedger). Nothing handed out is committed before that, so after a crash the
 * records come again: at-least-once.
 *
 * Rebalances. kafkajs' classic protocol revokes every partition at each rebalance and reports
 * the new assignment in GROUP_JOIN; it then fetches every assigned partition again from the
 * group's committed offset. So on GROUP_JOIN the source:
 *   - drops the buffered, not yet handed out, records (they will be fetched again);
 *   - forgets handed-out work of partitions it lost: when the pipeline later acknowledges such
 *     a batch, offsets of the lost partitions are not committed (the new owner reads them from
 *     the committed offset); offsets of partitions it kept still are;
 *   - commits what is durable as soon as a rebalance starts (REBALANCING), the last moment this
 *     member's commits still count for partitions it may lose.
 * Records handed out before a rebalance and not yet committed are read again afterwards, by
 * this member or the new owner: duplicates, never gaps.
 *
 * Transactional commits (`commits: 'transaction'`). The source never commits; the pipeline
 * calls `commitTransactionally(last, commit)` in place of markDurable: `commit` gets the
 * offsets to send inside the transaction that holds the batch's outputs (or `stale`: drop the
 * outputs, a rebalance is making the group read those records again). Every REBALANCING and GROUP_JOIN makes the batches handed out so far stale.
 *
 * Shutdown. `stop()` stops handing out batches (batches() ends), drops the buffer, waits up to
 * `drainTimeoutMs` for the batches in the pipeline to become durable, commits, then leaves the
 * group and disconnects.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import type { EachBatchPayload, Kafka, TopicOffsets } from 'kafkajs';
import { ConfigError } from '../errors/vigil-error.js';
import { formatPosition, type Position, type RawRecord, type RecordSource } from '../sources/record.js';
import { childLogger } from '../telemetry/logger.js';
import { CommitPump, describeOffsets } from './commit-pump.js';
import {
  KafkaCommitError,
  KafkaConnectionError,
  KafkaConsumerError,
  KafkaStateError,
  wrapKafkaError,
  type KafkaError,
} from './errors.js';
import { toRawRecord, type KafkaRawRecord } from './kafka-record.js';
import { OffsetLedger, type PartitionOffset, type SettledBatch, type TopicPartition } from './offset-ledger.js';
import { KafkaSourceSchema, parseSettings, type KafkaSourceOptions, type KafkaSourceSettings } from './settings.js';
import { StateMachine, type TransitionTable } from './state-machine.js';
import { rawTextEncoding } from './value-codec.js';
import { Wakeup } from './wakeup.js';

/** Default buffer capacity, in batches: see KAFKA_SOURCE_DEFAULTS.maxBufferedRecords. */
const BUFFERED_BATCHES = 4;

export type KafkaSourceState = 'created' | 'starting' | 'running' | 'failed' | 'stopping' | 'stopped';

const SOURCE_LIFECYCLE: TransitionTable<KafkaSourceState> = {
  created: ['starting'],
  starting: ['running', 'failed'],
  running: ['stopping', 'failed'],
  failed: ['stopping'],
  stopping: ['stopped'],
  stopped: [],
};

export interface KafkaSourceStats {
  state: KafkaSourceState;
  /** Records fetched and waiting for the pipeline to pull them. */
  buffered: number;
  /** The most records the buffer may hold; 0 until the pipeline first pulls. */
  capacity: number;
  /** The most records the buffer ever held at once. */
  maxBuffered: number;
  /** Whether fetching is paused now, and how often it was paused and resumed. */
  paused: boolean;
  pauses: number;
  resumes: number;
  /** Records taken from kafkajs into the buffer, and records given to the pipeline. */
  received: number;
  handedOut: number;
  /** Buffered records dropped because a rebalance started the partitions over. */
  droppedOnRebalance: number;
  /** Buffered records dropped because this member had already committed past them. */
  droppedCommitted: number;
  /** Group joins seen (the first included): after each, another member may have held this member's partitions. */
  groupJoins: number;
  /** Batches given to the pipeline whose durability it has not reported yet. */
  inFlightBatches: number;
  commits: number;
  commitFailures: number;
  assignment: TopicPartition[];
  committed: PartitionOffset[];
}

export interface KafkaStopReport {
  /** Records fetched but never handed out; they are read again by the group. */
  droppedBuffered: number;
  /** Batches the pipeline did not report durable within drainTimeoutMs; they are read again. */
  undrainedBatches: number;
  /** The group's committed offsets for the partitions this member owned at the end. */
  committed: PartitionOffset[];
}

export interface KafkaSource extends RecordSource {
  /** Group commits only (in transactional mode the transaction is the commit): see RecordSource. */
  committed(last: Position): Promise<void>;
  /**
   * Which records of the batch ending at `last` the group will read again, now: with
   * transactional commits all of them once the batch is stale (a rebalance started after it
   * was handed out: its commit drops its outputs); with group commits those of partitions
   * that moved to another member (their offsets are not committed here). A stage may skip
   * writes derived from them, which would only be undone (the feature-state snapshots).
   */
  readAgain(last: Position): (position: Position) => boolean;
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly settings: Readonly<KafkaSourceSettings>;
  readonly state: KafkaSourceState;
  stats(): KafkaSourceStats;
  /**
   * Drains, commits, leaves the group and disconnects (see the module comment). Idempotent.
   * Rejects with a KafkaCommitError when durable offsets could not be committed (their
   * records will be read again), after disconnecting all the same.
   */
  stop(): Promise<KafkaStopReport>;
  /**
   * `commits: 'transaction'` only, in place of markDurable: takes the batch ending at `last`
   * (and earlier ones) out of the handed-out work and hands `commit` the offsets its
   * transaction must carry, or `stale` (see OffsetLedger.settle). `commit` resolves true once
   * the transaction committed, false when it dropped the outputs. Until it settles, stop()
   * counts the batch as in flight, so the group is not left before the transaction ends.
   */
  commitTransactionally(last: Position, commit: (settled: SettledBatch) => Promise<boolean>): Promise<void>;
}

function checkBatchOptions({ maxSize, maxWaitMs }: { maxSize: number; maxWaitMs: number }): void {
  if (!Number.isInteger(maxSize) || maxSize < 1) throw new ConfigError(`batch maxSize must be an integer >= 1, got ${maxSize}`);
  if (!(maxWaitMs >= 0) || !Number.isFinite(maxWaitMs)) throw new ConfigError(`batch maxWaitMs must be a finite number >= 0, got ${maxWaitMs}`);
}

function commitsOf(topics: readonly TopicOffsets[]): PartitionOffset[] {
  return topics.flatMap(({ topic, partitions }) => partitions.map(({ partition, offset }) => ({ topic, partition, offset })));
}

/**
 * Connects, subscribes and joins the group; resolves once the first assignment is known. The
 * consumer stays paused until the pipeline first pulls from batches().
 */
export async function openKafkaSource(kafka: Kafka, options: KafkaSourceOptions): Promise<KafkaSource> {
  const s = parseSettings(KafkaSourceSchema, options, 'kafka source');
  const name = `kafka:${s.groupId}@${s.topics.join(',')}`;
  const log = childLogger('kafka-source').child({ groupId: s.groupId });
  const encoding = rawTextEncoding(s.format);
  const lifecycle = new StateMachine<KafkaSourceState>(`kafka source ${name}`, SOURCE_LIFECYCLE, 'created');
  const ledger = new OffsetLedger();
  const wakeup = new Wakeup();
  const pausable = s.topics.map((topic) => ({ topic }));
  const counters = { maxBuffered: 0, pauses: 0, resumes: 0, received: 0, handedOut: 0, droppedOnRebalance: 0, droppedCommitted: 0, groupJoins: 0 };

  let buffer: KafkaRawRecord[] = [];
  let capacity = 0;
  let paused = false;
  // kafkajs' pause/resume need its consumer group, which exists from the first GROUP_JOIN
  // until a crash (a restart builds a new one and joins again).
  let groupReady = false;
  /** Between REBALANCING and GROUP_JOIN (see batches()). */
  let rebalancing = false;
  let fatal: KafkaError | undefined;
  let batchesCalled = false;
  let stopping: Promise<KafkaStopReport> | undefined;
  /** Transactional commits: batches settled whose transaction has not ended yet. */
  let settling = 0;

  const consumer = kafka.consumer({
    groupId: s.groupId,
    sessionTimeout: s.sessionTimeoutMs,
    rebalanceTimeout: s.rebalanceTimeoutMs,
    heartbeatInterval: s.heartbeatIntervalMs,
    maxBytesPerPartition: s.maxBytesPerPartition,
    maxWaitTimeInMs: s.fetchMaxWaitMs,
    // A misspelt input topic should fail the start, not be created empty.
    allowAutoTopicCreation: false,
  });

  const fail = (error: KafkaError): void => {
    if (fatal) return;
    fatal = error;
    log.error({ err: error }, 'kafka source failed');
    if (lifecycle.can('failed')) lifecycle.to('failed');
    wakeup.notify();
  };

  /** Pauses every topic while the buffer is full (or nothing may be fetched), else resumes. */
  const syncFlowControl = (force = false): void => {
    if (!groupReady) return;
    const shouldPause = capacity === 0 || buffer.length >= capacity || !lifecycle.is('running');
    if (shouldPause === paused && !force) return;
    if (shouldPause) {
      consumer.pause(pausable);
      if (!paused) counters.pauses += 1;
    } else {
      consumer.resume(pausable);
      if (paused) counters.resumes += 1;
    }
    paused = shouldPause;
  };

  const commits = new CommitPump({
    name,
    groupId: s.groupId,
    ledger,
    send: (offsets) => consumer.commitOffsets(offsets),
    retryMs: s.commitRetryMs,
    mayRetry: () => lifecycle.is('running', 'stopping'),
    onFatal: fail,
    log,
  });
  const requestCommit = (): Promise<void> => commits.request();

  // kafkajs calls listeners inside its own join/fetch code: an exception there would break
  // the consumer, so listener failures fail the source instead.
  const guarded =
    <E>(what: string, listener: (event: E) => void) =>
    (event: E): void => {
      try {
        listener(event);
      } catch (err) {
        fail(wrapKafkaError(KafkaConsumerError, `${name}: handling ${what}`, err, { groupId: s.groupId }));
      }
    };

  consumer.on(
    consumer.events.GROUP_JOIN,
    guarded('GROUP_JOIN', (event) => {
      const { revoked, added } = ledger.assign(event.payload.memberAssignment);
      counters.groupJoins += 1;
      const dropped = buffer.length;
      buffer = [];
      counters.droppedOnRebalance += dropped;
      groupReady = true;
      rebalancing = false;
      ledger.rebalanceStarted();
      syncFlowControl(true);
      log.info({ revoked, added, dropped, assignment: ledger.owned() }, 'partitions assigned');
      wakeup.notify();
      void requestCommit();
    }),
  );
  consumer.on(
    consumer.events.REBALANCING,
    guarded('REBALANCING', () => {
      rebalancing = true;
      ledger.rebalanceStarted();
      void requestCommit();
    }),
  );
  consumer.on(
    consumer.events.COMMIT_OFFSETS,
    guarded('COMMIT_OFFSETS', (event) => ledger.confirmCommitted(commitsOf(event.payload.topics))),
  );
  consumer.on(
    consumer.events.CRASH,
    guarded('CRASH', (event) => {
      groupReady = false;
      const { error, restart } = event.payload;
      if (restart) log.warn({ err: error }, 'kafkajs consumer crashed; kafkajs restarts it');
      else fail(wrapKafkaError(KafkaConsumerError, `${name}: the consumer crashed`, error, { groupId: s.groupId }));
    }),
  );

  const eachBatch = async ({ batch, resolveOffset, isRunning, isStale }: EachBatchPayload): Promise<void> => {
    if (!lifecycle.is('running') || !isRunning() || isStale() || !ledger.owns(batch.topic, batch.partition)) return;
    const room = capacity - buffer.length;
    const messages = batch.messages.length <= room ? batch.messages : batch.messages.slice(0, Math.max(0, room));
    const last = messages.at(-1);
    if (last) {
      const readAt = performance.now();
      for (const message of messages) buffer.push(toRawRecord(batch.topic, batch.partition, message, encoding, readAt));
      resolveOffset(last.offset);
      counters.received += messages.length;
      if (buffer.length > counters.maxBuffered) counters.maxBuffered = buffer.length;
      wakeup.notify();
    }
    syncFlowControl();
  };

  lifecycle.to('starting');
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...s.topics], fromBeginning: s.fromBeginning });
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });
  } catch (err) {
    const error = wrapKafkaError(KafkaConnectionError, `${name}: starting the consumer failed (are the brokers up and the topics created?)`, err, {
      groupId: s.groupId,
    });
    fail(error);
    await consumer.disconnect().catch((e: unknown) => log.warn({ err: e }, 'disconnect after a failed start failed too'));
    throw error;
  }
  // A crash kafkajs does not retry surfaces through its CRASH event, not through run().
  if (fatal) throw fatal;
  lifecycle.to('running');

  const stop = async (): Promise<KafkaStopReport> => {
    lifecycle.to('stopping');
    const droppedBuffered = buffer.length;
    buffer = [];
    syncFlowControl();
    wakeup.notify();
    const deadline = performance.now() + s.drainTimeoutMs;
    const remaining = (): number => deadline - performance.now();
    const inFlight = (): number => ledger.inFlightBatches + settling;
    while (inFlight() > 0 && !fatal && remaining() > 0) await wakeup.wait(remaining());
    const undrainedBatches = inFlight();
    await requestCommit();
    while (ledger.uncommitted().length > 0 && !fatal && remaining() > 0) {
      await wakeup.wait(Math.min(s.commitRetryMs, remaining()));
      await requestCommit();
    }
    commits.cancelRetry();
    const uncommitted = ledger.uncommitted();
    const committed = ledger.committed();
    let disconnectError: KafkaError | undefined;
    try {
      await consumer.disconnect();
    } catch (err) {
      disconnectError = wrapKafkaError(KafkaConnectionError, `${name}: disconnecting failed`, err, { groupId: s.groupId });
    }
    lifecycle.to('stopped');
    if (uncommitted.length > 0) {
      throw new KafkaCommitError(`${name}: stopped with durable offsets not committed (${describeOffsets(uncommitted)}); their records will be read again`, {
        retriable: true,
        cause: fatal,
        groupId: s.groupId,
      });
    }
    if (disconnectError) throw disconnectError;
    log.info({ droppedBuffered, undrainedBatches, committed }, 'kafka source stopped');
    return { droppedBuffered, undrainedBatches, committed };
  };

  return {
    name,
    groupId: s.groupId,
    topics: s.topics,
    settings: s,
    get state() {
      return lifecycle.state;
    },

    batches(options): AsyncIterable<RawRecord[]> {
      checkBatchOptions(options);
      const { maxSize, maxWaitMs } = options;
      if (batchesCalled) throw new KafkaStateError(`${name}: batches() may be called once`);
      batchesCalled = true;
      const bufferCapacity = s.maxBufferedRecords ?? BUFFERED_BATCHES * maxSize;
      if (bufferCapacity < maxSize) {
        throw new ConfigError(
          `kafka source.maxBufferedRecords (${bufferCapacity}) is below the batch size (${maxSize}): raise it to at least ${maxSize} or lower the batch size`,
        );
      }
      return (async function* pull(): AsyncGenerator<RawRecord[]> {
        // The first pull opens the buffer: until now the consumer stayed paused.
        capacity = bufferCapacity;
        syncFlowControl();
        for (;;) {
          if (fatal) throw fatal;
          if (!lifecycle.is('running')) return;
          // A commit that landed after a rebalance read the group's offsets makes kafkajs fetch
          // those records again; the pipeline acknowledged the previous batch before this pull,
          // so every commit of this member is known here.
          const fresh = buffer.filter((r) => !ledger.isCommitted(r.position));
          counters.droppedCommitted += buffer.length - fresh.length;
          buffer = fresh;
          const oldest = buffer[0];
          // Transactional: a batch handed out while the group rebalances is stale before it
          // starts (the join that ends the rebalance drops its outputs); worse, it would build
          // on the states of the batch before it, which the rebalance may also have dropped.
          if (!oldest || (s.commits === 'transaction' && rebalancing)) {
            await wakeup.wait();
            continue;
          }
          if (buffer.length < maxSize) {
            const waitMs = oldest.readAt + maxWaitMs - performance.now();
            if (waitMs > 0) {
              await wakeup.wait(waitMs);
              continue;
            }
          }
          const batch = buffer.length <= maxSize ? buffer : buffer.slice(0, maxSize);
          buffer = batch === buffer ? [] : buffer.slice(maxSize);
          ledger.handOut(batch);
          counters.handedOut += batch.length;
          syncFlowControl();
          yield batch;
        }
      })();
    },

    markDurable(last: Position): void {
      if (s.commits !== 'group') throw new KafkaStateError(`${name}: commits are transactional; call settle(), not markDurable()`);
      if (last.kind !== 'kafka' || !s.topics.includes(last.topic)) {
        throw new KafkaStateError(`${name}: markDurable(${formatPosition(last)}) is not a position of this source`);
      }
      if (!ledger.markDurable(last)) {
        throw new KafkaStateError(`${name}: markDurable(${formatPosition(last)}) matches no batch handed out and not yet acknowledged`);
      }
      wakeup.notify();
      if (lifecycle.is('running', 'stopping')) void requestCommit();
    },

    async committed(last: Position): Promise<void> {
      if (s.commits !== 'group' || last.kind !== 'kafka') return;
      const joins = counters.groupJoins;
      const pending = (): boolean =>
        !ledger.isCommitted(last) && counters.groupJoins === joins && ledger.owns(last.topic, last.partition) && lifecycle.is('running', 'stopping');
      // A commit running when `last` became durable may not carry it: the queued one does. A
      // failed one is retried. A rebalance (the ledger then forgets what the partition had to
      // commit, even if it comes back) or a stopped source ends the wait: the group reads any
      // uncommitted records again from its committed offset.
      while (pending()) {
        await requestCommit();
        if (pending()) await delay(s.commitRetryMs);
      }
    },

    readAgain(last: Position): (position: Position) => boolean {
      if (s.commits === 'transaction') {
        const stale = last.kind === 'kafka' && ledger.isStale(last);
        return () => stale;
      }
      return (p) => p.kind === 'kafka' && !ledger.owns(p.topic, p.partition);
    },

    async commitTransactionally(last: Position, commit: (settled: SettledBatch) => Promise<boolean>): Promise<void> {
      if (s.commits !== 'transaction') throw new KafkaStateError(`${name}: commits are the group's; call markDurable()`);
      const settled = last.kind === 'kafka' && s.topics.includes(last.topic) ? ledger.settle(last) : undefined;
      if (!settled) throw new KafkaStateError(`${name}: commitTransactionally(${formatPosition(last)}) matches no batch handed out and not yet settled`);
      settling += 1;
      try {
        if (await commit(settled)) ledger.confirmCommitted(settled.offsets);
      } finally {
        settling -= 1;
        wakeup.notify();
      }
    },

    stats(): KafkaSourceStats {
      return {
        state: lifecycle.state,
        buffered: buffer.length,
        capacity,
        paused,
        ...counters,
        commits: commits.commits,
        commitFailures: commits.failures,
        inFlightBatches: ledger.inFlightBatches + settling,
        assignment: ledger.owned(),
        committed: ledger.committed(),
      };
    },

    stop(): Promise<KafkaStopReport> {
      stopping ??= stop();
      return stopping;
    },
  };
}
