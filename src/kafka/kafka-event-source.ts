import type { Kafka } from 'kafkajs';
import { ConfigError } from '../errors/vigil-error.js';
import { createCowrieDecoder } from '../sources/cowrie-json.js';
import type { InputEvent } from '../sources/file-source.js';
import type { Decoder } from '../sources/record.js';
import { createSshdDecoder } from '../sources/sshd-syslog.js';
import { createKafkaFlowDecoder } from './flow-codec.js';
import { openKafkaSource, type KafkaSource } from './kafka-source.js';
import type { KafkaSourceOptions } from './settings.js';

/**
 * What the records of an event topic hold: flow events (JSON or Avro, as serve reads them),
 * or the log lines a shipper forwards as they are, Cowrie JSON lines or OpenSSH syslog lines,
 * read by the same decoders as files, so a line on a topic and a line in a file give the same
 * event.
 */
export const KAFKA_EVENT_FORMATS = ['flows', 'cowrie-json', 'sshd-syslog'] as const;
export type KafkaEventFormat = (typeof KAFKA_EVENT_FORMATS)[number];

export interface KafkaEventSourceOptions extends KafkaSourceOptions {
  events: KafkaEventFormat;
  /** sshd-syslog: the year of the lines (syslog writes none); default the current UTC year. */
  syslogYear?: number;
}

export interface OpenedKafkaEventSource {
  source: KafkaSource;
  decoder: Decoder<InputEvent>;
}

export async function openKafkaEventSource(kafka: Kafka, options: KafkaEventSourceOptions): Promise<OpenedKafkaEventSource> {
  const { events, syslogYear, ...sourceOptions } = options;
  if (events !== 'flows' && sourceOptions.format !== undefined && sourceOptions.format.type !== 'json') {
    throw new ConfigError(`a ${events} topic holds log lines as text: its format must be json (UTF-8), not ${sourceOptions.format.type}`);
  }
  const source = await openKafkaSource(kafka, sourceOptions);
  const decoder: Decoder<InputEvent> =
    events === 'flows'
      ? createKafkaFlowDecoder(source.settings.format)
      : events === 'cowrie-json'
        ? createCowrieDecoder()
        : createSshdDecoder({ year: syslogYear ?? new Date().getUTCFullYear() });
  return { source, decoder };
}
