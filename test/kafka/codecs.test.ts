/**
 * The broker-free parts of the Kafka adapter: wire framing, decoders and encoders, settings,
 * errors, the lifecycle table and the commit ledger. Records are built here the way the
 * source builds them (toRawRecord), so the decoders see what they see in production.
 */
import kafkajs from 'kafkajs';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { FlowEventType, type FlowEvent } from '../../src/events/flow-event.js';
import { frameConfluent, unframeConfluent } from '../../src/kafka/confluent-frame.js';
import { isRebalanceError, KafkaCommitError, KafkaEncodeError, KafkaStateError, wrapKafkaError } from '../../src/kafka/errors.js';
import { createFlowEncoder, createKafkaFlowDecoder } from '../../src/kafka/flow-codec.js';
import { toRawRecord, type KafkaRawRecord } from '../../src/kafka/kafka-record.js';
import { createLabelDecoder, createLabelEncoder, LabelType } from '../../src/kafka/label-codec.js';
import { OffsetLedger } from '../../src/kafka/offset-ledger.js';
import { KafkaSourceSchema, KafkaValueProducerSchema, parseSettings } from '../../src/kafka/settings.js';
import { StateMachine } from '../../src/kafka/state-machine.js';
import type { ValueFormat } from '../../src/kafka/settings.js';
import type { Decoded } from '../../src/sources/record.js';
import { sampleFlows } from './broker.js';

function kafkaRecord(value: Buffer | string | null, format: ValueFormat, offset = 7, key: string | null = null): KafkaRawRecord {
  const message = {
    key: key === null ? null : Buffer.from(key),
    value: value === null ? null : Buffer.from(value),
    timestamp: '1700000000000',
    attributes: 0,
    offset: String(offset),
    headers: {},
  } as KafkaMessage;
  return toRawRecord('flows', 3, message, format.type === 'json' ? 'utf8' : 'base64', 12.5);
}

function reasonOf<T>(d: Decoded<T>): string {
  if (d.ok) throw new Error('expected bad input, got a value');
  return d.reason;
}

const flow = sampleFlows(1, 9)[0] as FlowEvent;

describe('Confluent wire framing', () => {
  it('frames as magic byte 0, big-endian schema id, body; and reads it back', () => {
    const body = Buffer.from([1, 2, 3]);
    const framed = frameConfluent(0x01020304, body);
    expect([...framed]).toEqual([0, 1, 2, 3, 4, 1, 2, 3]);
    expect(unframeConfluent(framed)).toEqual({ ok: true, schemaId: 0x01020304, body });
    expect(unframeConfluent(framed, 0x01020304)).toMatchObject({ ok: true });
  });

  it('names what is wrong with a record that is not a frame of the expected schema', () => {
    expect(unframeConfluent(Buffer.from([0, 0, 0]))).toEqual({ ok: false, reason: 'bad-frame: 3 bytes, a Confluent frame has at least 5' });
    expect(unframeConfluent(Buffer.from('{"a":1}'))).toEqual({ ok: false, reason: 'bad-frame: magic byte 0x7b, expected 0x00 (Confluent wire format)' });
    expect(unframeConfluent(frameConfluent(9, Buffer.alloc(1)), 7)).toEqual({ ok: false, reason: 'schema-id: record written with schema id 9, expected 7' });
  });
});

describe('flow decoders on Kafka records', () => {
  const formats: ValueFormat[] = [{ type: 'json' }, { type: 'avro' }, { type: 'confluent-avro', schemaId: 5 }];
  for (const format of formats) {
    it(`${format.type}: decodes what the encoder wrote, keeping position and read time`, () => {
      const record = kafkaRecord(createFlowEncoder(format)(flow), format, 7, flow.srcIp);
      expect(record.key).toBe(flow.srcIp);
      expect(record.timestamp).toBe(1_700_000_000_000);
      const d = createKafkaFlowDecoder(format).decode(record);
      expect(d).toEqual({ ok: true, value: flow, position: { kind: 'kafka', topic: 'flows', partition: 3, offset: '7' }, readAt: 12.5 });
    });
  }

  it('json: refuses what the JSON-lines decoder refuses, with its reasons', () => {
    const decoder = createKafkaFlowDecoder({ type: 'json' });
    expect(reasonOf(decoder.decode(kafkaRecord('{"oops"', { type: 'json' })))).toMatch(/^bad-json: /);
    expect(reasonOf(decoder.decode(kafkaRecord(null, { type: 'json' })))).toMatch(/^bad-json: /);
    const wrong = createFlowEncoder({ type: 'json' })({ ...flow, srcIp: 'not-an-ip' });
    expect(reasonOf(decoder.decode(kafkaRecord(wrong, { type: 'json' })))).toBe('bad-ip: srcIp "not-an-ip"');
  });

  it('avro: truncated records, trailing bytes and values the schema cannot refuse become reasons, with base64 raw', () => {
    const decoder = createKafkaFlowDecoder({ type: 'avro' });
    const body = FlowEventType.toBuffer(flow);
    const truncated = kafkaRecord(body.subarray(0, 40), { type: 'avro' });
    const d = decoder.decode(truncated);
    expect(d).toMatchObject({ ok: false, raw: body.subarray(0, 40).toString('base64') });
    expect(reasonOf(d)).toMatch(/^bad-avro: truncated/);
    expect(reasonOf(decoder.decode(kafkaRecord(Buffer.concat([body, Buffer.from([0])]), { type: 'avro' })))).toBe('bad-avro: 1 trailing bytes after a vigil.events.FlowEvent');
    expect(reasonOf(decoder.decode(kafkaRecord(null, { type: 'avro' })))).toMatch(/^bad-avro: truncated, 0 bytes/);
    const cases: [Partial<FlowEvent>, string][] = [
      [{ protocol: 99 }, 'unknown-protocol: protocol 99'],
      [{ dstPort: 70000 }, 'bad-port: dstPort 70000'],
      [{ dstIp: '300.1.1.1' }, 'bad-ip: dstIp "300.1.1.1"'],
    ];
    for (const [change, reason] of cases) {
      expect(reasonOf(decoder.decode(kafkaRecord(FlowEventType.toBuffer({ ...flow, ...change }), { type: 'avro' })))).toBe(reason);
    }
  });

  it('avro: a record read from a file (text only) is decoded from its base64 text', () => {
    const text = FlowEventType.toBuffer(flow).toString('base64');
    const d = createKafkaFlowDecoder({ type: 'avro' }).decode({ position: { kind: 'file', file: 'x.b64', line: 2 }, text, byteLength: text.length, readAt: 0 });
    expect(d).toMatchObject({ ok: true, value: flow });
  });

  it('confluent-avro: checks the frame and, when configured, the schema id; without one any id is read', () => {
    const body = FlowEventType.toBuffer(flow);
    const strict = createKafkaFlowDecoder({ type: 'confluent-avro', schemaId: 5 });
    expect(reasonOf(strict.decode(kafkaRecord(frameConfluent(6, body), { type: 'avro' })))).toBe('schema-id: record written with schema id 6, expected 5');
    expect(reasonOf(strict.decode(kafkaRecord(body, { type: 'avro' })))).toMatch(/^bad-frame: /);
    expect(createKafkaFlowDecoder({ type: 'confluent-avro' }).decode(kafkaRecord(frameConfluent(6, body), { type: 'avro' }))).toMatchObject({ ok: true, value: flow });
  });

  it('encoders refuse a value that does not fit the schema, in every format', () => {
    for (const format of formats) {
      expect(() => createFlowEncoder(format)({ ...flow, srcPort: 1.5 })).toThrow(KafkaEncodeError);
    }
    expect(() => createFlowEncoder({ type: 'confluent-avro' })).toThrow(/schemaId/);
  });
});

describe('label codec', () => {
  const label = { event_key: 'flow-1-3', label: 'dos', source: 'analyst', ts: 1_700_000_123_000 } as const;

  for (const format of [{ type: 'json' }, { type: 'avro' }, { type: 'confluent-avro', schemaId: 3 }] as ValueFormat[]) {
    it(`${format.type}: round-trips a label, threat_score defaulting to null`, () => {
      const decoder = createLabelDecoder(format);
      const encode = createLabelEncoder(format);
      expect(decoder.decode(kafkaRecord(encode(label), format))).toMatchObject({ ok: true, value: { ...label, threat_score: null } });
      const scored = { ...label, source: 'council' as const, threat_score: 0.75 };
      expect(decoder.decode(kafkaRecord(encode(scored), format))).toMatchObject({ ok: true, value: scored });
    });
  }

  it('json: reads ISO times and names every broken field', () => {
    const decoder = createLabelDecoder({ type: 'json' });
    const iso = JSON.stringify({ ...label, ts: '2024-05-01T10:00:00Z' });
    expect(decoder.decode(kafkaRecord(iso, { type: 'json' }))).toMatchObject({ ok: true, value: { ts: Date.UTC(2024, 4, 1, 10) } });
    const broken = JSON.stringify({ ...label, label: 'evil', threat_score: 3 });
    const reason = reasonOf(decoder.decode(kafkaRecord(broken, { type: 'json' })));
    expect(reason).toMatch(/^bad-label: /);
    expect(reason).toContain('label:');
    expect(reason).toContain('threat_score:');
  });

  it('avro: applies the same rules as JSON beyond the schema', () => {
    const outOfRange = LabelType.toBuffer({ ...label, threat_score: 1.5 });
    expect(reasonOf(createLabelDecoder({ type: 'avro' }).decode(kafkaRecord(outOfRange, { type: 'avro' })))).toMatch(/^bad-label: threat_score: /);
    expect(() => createLabelEncoder({ type: 'avro' })({ ...label, event_key: '' })).toThrow(KafkaEncodeError);
  });
});

describe('settings', () => {
  it('resolves defaults once', () => {
    const s = parseSettings(KafkaSourceSchema, { topics: ['flows'], groupId: 'vigil' }, 'kafka source');
    expect(s).toMatchObject({ format: { type: 'json' }, fromBeginning: false, fetchMaxWaitMs: 100, sessionTimeoutMs: 30_000, drainTimeoutMs: 10_000 });
    expect(s.maxBufferedRecords).toBeUndefined();
  });

  it('rejects bad settings with messages that name the setting and what to change', () => {
    const bad = (schema: Parameters<typeof parseSettings>[0], input: unknown): string => {
      try {
        parseSettings(schema, input, 'kafka source');
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    expect(bad(KafkaSourceSchema, { topics: [], groupId: 'g' })).toBe('kafka source.topics: list at least one topic to consume');
    expect(bad(KafkaSourceSchema, { topics: ['a b'], groupId: 'g' })).toBe('kafka source.topics[0]: a topic name is 1-249 letters, digits, ".", "_" or "-"');
    expect(bad(KafkaSourceSchema, { topics: ['t'], groupId: 'g', heartbeatIntervalMs: 30_000 })).toMatch(
      /^kafka source\.heartbeatIntervalMs: must be below sessionTimeoutMs .*raise sessionTimeoutMs$/,
    );
    expect(bad(KafkaSourceSchema, { topics: ['t'], groupId: 'g', batchSize: 5 })).toMatch(/batchSize/);
    expect(bad(KafkaValueProducerSchema, { topic: 't', format: { type: 'confluent-avro' } })).toBe(
      'kafka source.format.schemaId: producing confluent-avro writes the schema id into every record: set format.schemaId',
    );
    expect(bad(KafkaValueProducerSchema, { topic: 't', retries: 0 })).toMatch(/^kafka source\.retries: an idempotent producer needs retries >= 1/);
  });
});

/** How kafkajs' retrier hands on an error it will not retry: wrapped, the original as cause. */
function retrierWrapped(original: Error): Error {
  return Object.assign(new kafkajs.KafkaJSNonRetriableError(original), { cause: original });
}

describe('errors', () => {
  const rebalancing = new kafkajs.KafkaJSProtocolError({ message: 'The group is rebalancing', type: 'REBALANCE_IN_PROGRESS', code: 27, retriable: false } as never);

  it('keeps kafkajs retriable flag and the cause', () => {
    const retriable = new kafkajs.KafkaJSConnectionError('Connection timeout');
    const wrapped = wrapKafkaError(KafkaCommitError, 'committing failed', retriable, { groupId: 'g' });
    expect(wrapped).toBeInstanceOf(KafkaCommitError);
    expect(wrapped.retriable).toBe(true);
    expect(wrapped.cause).toBe(retriable);
    expect(wrapped.groupId).toBe('g');
    expect(wrapped.message).toBe('committing failed: KafkaJSConnectionError: Connection timeout');
    expect(wrapKafkaError(KafkaCommitError, 'x', rebalancing).retriable).toBe(false);
    // As kafkajs' consumer decides restarts: retries exhausted, or a retriable original error.
    const exhausted = new kafkajs.KafkaJSNumberOfRetriesExceeded(retriable, { retryCount: 5, retryTime: 1000 } as never);
    expect(exhausted.retriable).toBe(false);
    expect(wrapKafkaError(KafkaCommitError, 'x', exhausted).retriable).toBe(true);
    expect(wrapKafkaError(KafkaCommitError, 'x', retrierWrapped(rebalancing)).retriable).toBe(false);
    expect(wrapKafkaError(KafkaCommitError, 'again', wrapped)).toBe(wrapped);
  });

  it('recognises a rebalance through kafkajs retrier wrappers', () => {
    expect(isRebalanceError(rebalancing)).toBe(true);
    expect(isRebalanceError(retrierWrapped(rebalancing))).toBe(true);
    expect(isRebalanceError(new kafkajs.KafkaJSConnectionError('down'))).toBe(false);
  });
});

describe('lifecycle state machine', () => {
  it('allows the moves in its table and refuses others loudly', () => {
    const m = new StateMachine<'a' | 'b' | 'c'>('test', { a: ['b'], b: ['c'], c: [] }, 'a');
    m.to('b');
    expect(m.is('b')).toBe(true);
    expect(() => m.to('a')).toThrow(KafkaStateError);
    expect(() => m.to('a')).toThrow('test: cannot go from b to a (from b: c)');
    m.to('c');
    expect(() => m.to('a')).toThrow('test: cannot go from c to a (from c: none, it is final)');
  });
});

describe('offset ledger', () => {
  const at = (topic: string, partition: number, offset: number) => ({ position: { kind: 'kafka' as const, topic, partition, offset: String(offset) } });

  it('commits offset+1 per partition of every batch up to the acknowledged one, never backwards', () => {
    const ledger = new OffsetLedger();
    ledger.assign({ t: [0, 1] });
    ledger.handOut([at('t', 0, 0), at('t', 1, 0), at('t', 0, 1)]);
    ledger.handOut([at('t', 1, 1), at('t', 1, 2)]);
    ledger.handOut([at('t', 0, 2)]);
    expect(ledger.uncommitted()).toEqual([]);
    expect(ledger.markDurable(at('t', 1, 2).position)).toBe(true);
    expect(ledger.inFlightBatches).toBe(1);
    expect(ledger.uncommitted()).toEqual([
      { topic: 't', partition: 0, offset: '2' },
      { topic: 't', partition: 1, offset: '3' },
    ]);
    ledger.confirmCommitted([{ topic: 't', partition: 0, offset: '2' }]);
    expect(ledger.uncommitted()).toEqual([{ topic: 't', partition: 1, offset: '3' }]);
    // A batch re-read after a rebalance acknowledges lower offsets: the commit does not go back.
    ledger.handOut([at('t', 1, 0)]);
    ledger.markDurable(at('t', 1, 0).position);
    expect(ledger.uncommitted()).toEqual([
      { topic: 't', partition: 0, offset: '3' },
      { topic: 't', partition: 1, offset: '3' },
    ]);
  });

  it('refuses positions it never handed out or already acknowledged', () => {
    const ledger = new OffsetLedger();
    ledger.assign({ t: [0] });
    ledger.handOut([at('t', 0, 5)]);
    expect(ledger.markDurable(at('t', 0, 4).position)).toBe(false);
    expect(ledger.markDurable(at('t', 0, 5).position)).toBe(true);
    expect(ledger.markDurable(at('t', 0, 5).position)).toBe(false);
  });

  it('forgets work of revoked partitions: acknowledged later, it is not committed', () => {
    const ledger = new OffsetLedger();
    ledger.assign({ t: [0, 1, 2] });
    ledger.handOut([at('t', 0, 9), at('t', 1, 4), at('t', 2, 7)]);
    ledger.markDurable(at('t', 2, 7).position);
    ledger.handOut([at('t', 0, 10), at('t', 1, 5)]);
    expect(ledger.assign({ t: [1, 3] })).toEqual({
      revoked: [
        { topic: 't', partition: 0 },
        { topic: 't', partition: 2 },
      ],
      added: [{ topic: 't', partition: 3 }],
    });
    expect(ledger.uncommitted()).toEqual([{ topic: 't', partition: 1, offset: '5' }]);
    expect(ledger.markDurable(at('t', 1, 5).position)).toBe(true);
    expect(ledger.uncommitted()).toEqual([{ topic: 't', partition: 1, offset: '6' }]);
    // Re-assigned later: nothing from before the revocation comes back.
    ledger.assign({ t: [0, 1, 2, 3] });
    expect(ledger.uncommitted()).toEqual([{ topic: 't', partition: 1, offset: '6' }]);
  });

  it('settles batches for a transaction: offsets of owned partitions, nothing left for the group to commit', () => {
    const ledger = new OffsetLedger();
    ledger.assign({ t: [0, 1] });
    ledger.handOut([at('t', 0, 3), at('t', 1, 7)]);
    ledger.handOut([at('t', 0, 4)]);
    expect(ledger.settle(at('t', 0, 4).position)).toEqual({
      offsets: [
        { topic: 't', partition: 0, offset: '5' },
        { topic: 't', partition: 1, offset: '8' },
      ],
      stale: false,
    });
    expect(ledger.inFlightBatches).toBe(0);
    expect(ledger.uncommitted()).toEqual([]);
    expect(ledger.settle(at('t', 0, 4).position)).toBeUndefined();
    ledger.confirmCommitted([{ topic: 't', partition: 0, offset: '5' }, { topic: 't', partition: 1, offset: '8' }]);
    expect(ledger.committed()).toEqual([
      { topic: 't', partition: 0, offset: '5' },
      { topic: 't', partition: 1, offset: '8' },
    ]);
  });

  it('makes batches handed out before a rebalance stale, and those handed out after it fresh', () => {
    const ledger = new OffsetLedger();
    ledger.assign({ t: [0, 1] });
    ledger.handOut([at('t', 0, 3), at('t', 1, 7)]);
    ledger.rebalanceStarted();
    ledger.assign({ t: [1] });
    // Partition 0 went to another member: its offset is not offered, and the verdicts of the
    // batch must be dropped, since both partitions are read again from the committed offsets.
    expect(ledger.settle(at('t', 1, 7).position)).toEqual({ offsets: [{ topic: 't', partition: 1, offset: '8' }], stale: true });
    ledger.handOut([at('t', 1, 7)]);
    expect(ledger.settle(at('t', 1, 7).position)).toEqual({ offsets: [{ topic: 't', partition: 1, offset: '8' }], stale: false });
  });

  it('tells whether a batch is already stale before it is settled, and settling answers the same', () => {
    const ledger = new OffsetLedger();
    ledger.assign({ t: [0] });
    ledger.handOut([at('t', 0, 0), at('t', 0, 1)]);
    expect(ledger.isStale(at('t', 0, 1).position)).toBe(false);
    ledger.rebalanceStarted();
    ledger.handOut([at('t', 0, 2)]);
    // The later batch is settled with the stale one before it: stale too.
    expect(ledger.isStale(at('t', 0, 1).position)).toBe(true);
    expect(ledger.isStale(at('t', 0, 2).position)).toBe(true);
    expect(ledger.isStale(at('t', 0, 9).position)).toBe(false);
    expect(ledger.settle(at('t', 0, 1).position)?.stale).toBe(true);
    expect(ledger.isStale(at('t', 0, 2).position)).toBe(false);
    expect(ledger.settle(at('t', 0, 2).position)?.stale).toBe(false);
  });

  it('knows which records its own confirmed commits cover, on partitions it still owns', () => {
    const ledger = new OffsetLedger();
    ledger.assign({ t: [0, 1] });
    ledger.confirmCommitted([{ topic: 't', partition: 0, offset: '5' }]);
    expect(ledger.isCommitted(at('t', 0, 4).position)).toBe(true);
    expect(ledger.isCommitted(at('t', 0, 5).position)).toBe(false);
    expect(ledger.isCommitted(at('t', 1, 0).position)).toBe(false);
    ledger.rebalanceStarted();
    ledger.assign({ t: [1] });
    expect(ledger.isCommitted(at('t', 0, 4).position)).toBe(false);
  });
});
