/**
 * A producer bound to one topic, shared by the verdict, dead-letter and label sinks: keyed
 * records in, resolved once the broker acknowledged them all (acks=-1).
 */
import kafkajs from 'kafkajs';
import type { Kafka, Producer } from 'kafkajs';
import { KafkaProduceError, KafkaStateError, wrapKafkaError } from './errors.js';
import { KafkaProducerSchema, parseSettings, type KafkaProducerOptions, type KafkaProducerSettings } from './settings.js';

const { Partitioners } = kafkajs;

export interface KeyedRecord {
  key: string;
  value: Buffer | string;
  headers?: Record<string, string>;
}

export interface TopicProducer {
  readonly topic: string;
  /** Produces the records in order; resolves when the broker acknowledged every one. */
  send(records: readonly KeyedRecord[]): Promise<void>;
  /** Disconnects; later sends reject. Idempotent. */
  close(): Promise<void>;
}

/** Starts a producer from settings already validated by the caller's own schema. */
export async function startTopicProducer(kafka: Kafka, s: KafkaProducerSettings, what: string): Promise<TopicProducer> {
  const producer: Producer = kafka.producer({
    idempotent: s.idempotent,
    // kafkajs keeps sequence numbers in order only with one request in flight per broker.
    ...(s.idempotent ? { maxInFlightRequests: 1 } : {}),
    retry: { retries: s.retries },
    // Kafka's own murmur2 partitioner (kafkajs' default since 2.0, named to silence its notice):
    // records keyed by source IP land where a Java producer would put them.
    createPartitioner: Partitioners.DefaultPartitioner,
    // A misspelt output topic should fail the write, not be created with broker defaults.
    allowAutoTopicCreation: false,
  });
  try {
    await producer.connect();
  } catch (err) {
    throw wrapKafkaError(KafkaProduceError, `${what}: connecting the producer for ${s.topic} failed`, err, { topic: s.topic });
  }
  let closed = false;
  return {
    topic: s.topic,
    async send(records) {
      if (closed) throw new KafkaStateError(`${what}: the producer for ${s.topic} is closed`, { topic: s.topic });
      if (records.length === 0) return;
      try {
        await producer.send({ topic: s.topic, acks: -1, timeout: s.ackTimeoutMs, messages: [...records] });
      } catch (err) {
        throw wrapKafkaError(KafkaProduceError, `${what}: producing ${records.length} record(s) to ${s.topic} failed`, err, { topic: s.topic });
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await producer.disconnect();
      } catch (err) {
        throw wrapKafkaError(KafkaProduceError, `${what}: disconnecting the producer for ${s.topic} failed`, err, { topic: s.topic });
      }
    },
  };
}

/** A producer of raw keyed records to `options.topic` (ConfigError on bad settings). */
export function openTopicProducer(kafka: Kafka, options: KafkaProducerOptions): Promise<TopicProducer> {
  const s = parseSettings(KafkaProducerSchema, options, 'kafka producer');
  return startTopicProducer(kafka, s, `producer ${s.topic}`);
}
