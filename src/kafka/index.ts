/** The Kafka adapter's public API (re-exports only). */
export { ensureTopics, TOPIC_SPEC_DEFAULTS, type EnsureTopicsReport, type TopicSpec } from './admin.js';
export { createKafka, pinoLogCreator, type Kafka } from './client.js';
export { CONFLUENT_HEADER_BYTES, CONFLUENT_MAGIC_BYTE, frameConfluent, unframeConfluent, type Unframed } from './confluent-frame.js';
export { DEAD_LETTER_HEADERS, openKafkaDeadLetterSink, type KafkaDeadLetterSink } from './dead-letter-sink.js';
export {
  isRebalanceError,
  KafkaAdminError,
  KafkaCommitError,
  KafkaConnectionError,
  KafkaConsumerError,
  KafkaEncodeError,
  KafkaError,
  kafkajsRetriable,
  KafkaProduceError,
  KafkaStateError,
  wrapKafkaError,
} from './errors.js';
export { createFlowEncoder, createKafkaFlowDecoder, flowEventProblem } from './flow-codec.js';
export { openKafkaFlowSource, type OpenedKafkaFlowSource } from './kafka-flow-source.js';
export { isKafkaRawRecord, recordBytes, type KafkaPosition, type KafkaRawRecord } from './kafka-record.js';
export { openKafkaSource, type KafkaSource, type KafkaSourceState, type KafkaSourceStats, type KafkaStopReport } from './kafka-source.js';
export { createLabelDecoder, createLabelEncoder, LABEL_SOURCES, LabelType, type Label, type LabelInput, type LabelSource } from './label-codec.js';
export { openLabelProducer, openLabelSource, type LabelProducer, type OpenedLabelSource } from './label-topic.js';
export { OffsetLedger, type PartitionOffset, type TopicPartition } from './offset-ledger.js';
export {
  KAFKA_CONNECTION_DEFAULTS,
  KAFKA_PRODUCER_DEFAULTS,
  KAFKA_SOURCE_DEFAULTS,
  type KafkaConnectionOptions,
  type KafkaDeadLetterOptions,
  type KafkaProducerOptions,
  type KafkaSourceOptions,
  type KafkaValueProducerOptions,
  type ValueFormat,
} from './settings.js';
export { openTopicProducer, type KeyedRecord, type TopicProducer } from './topic-producer.js';
export { openKafkaVerdictSink, type KafkaVerdictSink } from './verdict-sink.js';
