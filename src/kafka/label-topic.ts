/**
 * The labels topic: a producer for analysts' and the council's labels, and a consumer for the
 * training collector. Labels are keyed by event_key, so every label of one event is on one
 * partition, in the order given.
 */
import type { Kafka } from 'kafkajs';
import type { Decoder } from '../sources/record.js';
import { openKafkaSource, type KafkaSource } from './kafka-source.js';
import { createLabelDecoder, createLabelEncoder, type Label, type LabelInput } from './label-codec.js';
import { KafkaValueProducerSchema, parseSettings, type KafkaSourceOptions, type KafkaValueProducerOptions } from './settings.js';
import { startTopicProducer } from './topic-producer.js';

export interface LabelProducer {
  readonly topic: string;
  /** Produces the labels; resolves once the broker acknowledged all (acks=-1). */
  send(labels: readonly LabelInput[]): Promise<void>;
  close(): Promise<void>;
}

export async function openLabelProducer(kafka: Kafka, options: KafkaValueProducerOptions): Promise<LabelProducer> {
  const s = parseSettings(KafkaValueProducerSchema, options, 'kafka label producer');
  const encode = createLabelEncoder(s.format);
  const producer = await startTopicProducer(kafka, s, 'label producer');
  return {
    topic: s.topic,
    async send(labels) {
      await producer.send(labels.map((label) => ({ key: label.event_key, value: encode(label) })));
    },
    close: () => producer.close(),
  };
}

export interface OpenedLabelSource {
  source: KafkaSource;
  decoder: Decoder<Label>;
}

/**
 * Labels as a RecordSource and its decoder, like the flow source: pull batches, decode, and
 * markDurable once what was made of them is stored. `options.format` is the labels' format.
 */
export async function openLabelSource(kafka: Kafka, options: KafkaSourceOptions): Promise<OpenedLabelSource> {
  const source = await openKafkaSource(kafka, options);
  return { source, decoder: createLabelDecoder(source.settings.format) };
}
