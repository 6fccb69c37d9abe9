import type { Kafka } from 'kafkajs';
import type { FlowEvent } from '../events/flow-event.js';
import type { Decoder } from '../sources/record.js';
import { createKafkaFlowDecoder } from './flow-codec.js';
import { openKafkaSource, type KafkaSource } from './kafka-source.js';
import type { KafkaSourceOptions } from './settings.js';

export interface OpenedKafkaFlowSource {
  source: KafkaSource;
  decoder: Decoder<FlowEvent>;
}

/**
 * Flow events from Kafka, shaped like openFileSource's result so the detect topology takes
 * either: the source of raw records and the decoder for `options.format` (json by default).
 */
export async function openKafkaFlowSource(kafka: Kafka, options: KafkaSourceOptions): Promise<OpenedKafkaFlowSource> {
  const source = await openKafkaSource(kafka, options);
  return { source, decoder: createKafkaFlowDecoder(source.settings.format) };
}
