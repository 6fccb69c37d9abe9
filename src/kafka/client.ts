/**
 * The kafkajs client every source, sink and admin helper is built from. It only holds
 * settings (kafkajs connects per consumer/producer/admin), so one per process is enough.
 *
 * kafkajs is CommonJS: under ESM its named exports are read from the default export.
 */
import kafkajs from 'kafkajs';
import type { Kafka, logCreator } from 'kafkajs';
import type { Logger } from 'pino';
import { childLogger } from '../telemetry/logger.js';
import { KafkaConnectionSchema, parseSettings, type KafkaConnectionOptions } from './settings.js';

const { Kafka: KafkaClient, logLevel: KafkajsLogLevel } = kafkajs;

export type { Kafka } from 'kafkajs';

const KAFKAJS_LEVEL = {
  nothing: KafkajsLogLevel.NOTHING,
  error: KafkajsLogLevel.ERROR,
  warn: KafkajsLogLevel.WARN,
  info: KafkajsLogLevel.INFO,
  debug: KafkajsLogLevel.DEBUG,
} as const;

/**
 * kafkajs log entries into pino, so they are JSON on stderr like the rest of vigil's logs.
 *
 * kafkajs' Connection logs every error response of the broker at ERROR ("Response
 * Heartbeat ... The group is rebalancing"), including the ones its own code expects and
 * handles by retrying or rejoining: every rebalance would page someone. Those go out as
 * warnings; an error that matters reaches vigil as a thrown error or a consumer crash.
 */
export function pinoLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, ...fields } = log;
      const entry = { kafkajs: namespace, ...fields };
      const handledByKafkajs = namespace === 'Connection' && message.startsWith('Response ');
      if (level === KafkajsLogLevel.ERROR && !handledByKafkajs) logger.error(entry, message);
      else if (level === KafkajsLogLevel.ERROR) logger.warn(entry, message);
      else if (level === KafkajsLogLevel.WARN) logger.warn(entry, message);
      else if (level === KafkajsLogLevel.INFO) logger.info(entry, message);
      else logger.debug(entry, message);
    };
}

/** A kafkajs client for `options.brokers`; throws a ConfigError naming any bad setting. */
export function createKafka(options: KafkaConnectionOptions): Kafka {
  const s = parseSettings(KafkaConnectionSchema, options, 'kafka');
  return new KafkaClient({
    brokers: s.brokers,
    clientId: s.clientId,
    connectionTimeout: s.connectionTimeoutMs,
    requestTimeout: s.requestTimeoutMs,
    logLevel: KAFKAJS_LEVEL[s.logLevel],
    logCreator: pinoLogCreator(childLogger('kafkajs')),
  });
}
