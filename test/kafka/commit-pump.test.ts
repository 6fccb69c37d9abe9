import kafkajs from 'kafkajs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { CommitPump } from '../../src/kafka/commit-pump.js';
import { KafkaCommitError } from '../../src/kafka/errors.js';
import { OffsetLedger, type PartitionOffset } from '../../src/kafka/offset-ledger.js';

const at = (partition: number, offset: number) => ({ position: { kind: 'kafka' as const, topic: 't', partition, offset: String(offset) } });
const rebalancing = () =>
  new kafkajs.KafkaJSProtocolError({ message: 'The group is rebalancing', type: 'REBALANCE_IN_PROGRESS', code: 27, retriable: false } as never);

/** A pump over a ledger owning t[0..1] with one durable batch, and a scripted broker. */
function harness(broker: (offsets: PartitionOffset[], call: number) => 'ok' | 'silent' | Error) {
  const ledger = new OffsetLedger();
  ledger.assign({ t: [0, 1] });
  ledger.handOut([at(0, 4), at(1, 9)]);
  ledger.markDurable(at(1, 9).position);
  const sent: PartitionOffset[][] = [];
  const fatal: KafkaCommitError[] = [];
  const pump = new CommitPump({
    name: 'test',
    groupId: 'g',
    ledger,
    retryMs: 20,
    mayRetry: () => true,
    onFatal: (e) => fatal.push(e),
    log: pino({ level: 'silent' }),
    send: async (offsets) => {
      sent.push(offsets);
      await new Promise((r) => setTimeout(r, 5));
      const outcome = broker(offsets, sent.length);
      if (outcome instanceof Error) throw outcome;
      // What kafkajs' COMMIT_OFFSETS event does on a real commit.
      if (outcome === 'ok') ledger.confirmCommitted(offsets);
    },
  });
  return { ledger, pump, sent, fatal };
}

const waitMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('commit pump', () => {
  it('coalesces requests made while a commit runs into one more commit', async () => {
    const { ledger, pump, sent } = harness(() => 'ok');
    const first = pump.request();
    while (sent.length === 0) await waitMs(1);
    // While the first commit is on the wire, two more batches become durable.
    for (const offset of [5, 6]) {
      ledger.handOut([at(0, offset)]);
      ledger.markDurable(at(0, offset).position);
      void pump.request();
    }
    await Promise.all([first, pump.request()]);
    expect(sent).toEqual([
      [{ topic: 't', partition: 0, offset: '5' }, { topic: 't', partition: 1, offset: '10' }],
      [{ topic: 't', partition: 0, offset: '7' }],
    ]);
    expect(ledger.uncommitted()).toEqual([]);
    expect(pump.commits).toBe(2);
  });

  it('retries after a rebalance error with only the partitions still owned', async () => {
    const { ledger, pump, sent, fatal } = harness((_, call) => (call === 1 ? rebalancing() : 'ok'));
    await pump.request();
    expect(pump.failures).toBe(1);
    // The rebalance took partition 0 away before the retry.
    ledger.assign({ t: [1] });
    await waitMs(80);
    expect(sent[1]).toEqual([{ topic: 't', partition: 1, offset: '10' }]);
    expect(ledger.uncommitted()).toEqual([]);
    expect(fatal).toEqual([]);
  });

  it('retries a commit kafkajs resolved without confirming it', async () => {
    const { ledger, pump, sent } = harness((_, call) => (call === 1 ? 'silent' : 'ok'));
    await pump.request();
    expect(ledger.uncommitted()).toHaveLength(2);
    await waitMs(80);
    expect(sent).toHaveLength(2);
    expect(ledger.uncommitted()).toEqual([]);
    expect(pump.failures).toBe(1);
  });

  it('hands a non-retriable failure to onFatal, wrapped, without retrying', async () => {
    const denied = new kafkajs.KafkaJSProtocolError({ message: 'Not authorized to access group', type: 'GROUP_AUTHORIZATION_FAILED', code: 30, retriable: false } as never);
    const { pump, sent, fatal } = harness(() => denied);
    await pump.request();
    await waitMs(60);
    expect(sent).toHaveLength(1);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toBeInstanceOf(KafkaCommitError);
    expect(fatal[0]!.cause).toBe(denied);
    expect(fatal[0]!.message).toBe('test: committing t[0]=5, t[1]=10 failed: KafkaJSProtocolError: Not authorized to access group');
  });
});
