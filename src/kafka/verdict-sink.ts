import type { Kafka } from 'kafkajs';
import { VerdictType } from '../events/flow-event.js';
import type { Verdict } from '../events/verdict.js';
import type { VerdictSink } from '../sinks/verdict-jsonl.js';
import { KafkaValueProducerSchema, parseSettings, type KafkaValueProducerOptions } from './settings.js';
import { startTopicProducer, type KeyedRecord } from './topic-producer.js';
import { createValueEncoder } from './value-codec.js';

export interface KafkaVerdictSink extends VerdictSink {
  readonly topic: string;
}

/** Verdicts as records keyed by srcIp (all verdicts of one source IP stay in order on one partition). */
export function verdictRecords(verdicts: readonly Verdict[], encode: (v: Verdict) => Buffer | string): KeyedRecord[] {
  return verdicts.map((v) => ({ key: v.srcIp, value: encode(v) }));
}

/**
 * Verdicts to a topic, keyed by srcIp (all verdicts of one source IP stay in order on one
 * partition), as JSON (the objects verdict-jsonl writes) or Avro (schemas/verdict.avsc).
 * `write` resolves once the broker acknowledged every verdict (acks=-1), which is what lets
 * the topology commit the input offsets after it.
 */
export async function openKafkaVerdictSink(kafka: Kafka, options: KafkaValueProducerOptions): Promise<KafkaVerdictSink> {
  const s = parseSettings(KafkaValueProducerSchema, options, 'kafka verdict sink');
  const encode = createValueEncoder<Verdict>(VerdictType, s.format, 'verdict');
  const producer = await startTopicProducer(kafka, s, 'verdict sink');
  return {
    topic: s.topic,
    async write(verdicts) {
      await producer.send(verdictRecords(verdicts, encode));
    },
    close: () => producer.close(),
  };
}
