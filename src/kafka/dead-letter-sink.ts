import type { Kafka } from 'kafkajs';
import { deadLetterLine, reasonCode } from '../sinks/dlq-file.js';
import { formatPosition, type BadInput } from '../sources/record.js';
import type { DeadLetterSink } from '../stages/route-bad-input.js';
import { KafkaDeadLetterSchema, parseSettings, type KafkaDeadLetterOptions } from './settings.js';
import { startTopicProducer } from './topic-producer.js';

/** Headers on every dead letter, for routing and counting without parsing the value. */
export const DEAD_LETTER_HEADERS = {
  /** The reason's stable code ("bad-json", "schema-id", ...). */
  reasonCode: 'vigil-dlq-reason-code',
  /** Where the bad record came from: "topic[partition]@offset" or "file:line". */
  source: 'vigil-dlq-source',
  /** How `raw` holds the record: "utf8" or "base64". */
  rawEncoding: 'vigil-dlq-raw-encoding',
} as const;

export interface KafkaDeadLetterSink extends DeadLetterSink {
  readonly topic: string;
  /** Dead letters so far per reason code, and in all. */
  counts(): Record<string, number>;
  readonly total: number;
  close(): Promise<void>;
}

export interface KafkaDeadLetterSinkDeps {
  /** Clock for the envelope's "at" field (tests). */
  now?: () => Date;
}

/**
 * Bad input to a dead-letter topic. Each record is keyed by its source position and its
 * value is the same JSON envelope as a line of the file DLQ (see deadLetterLine):
 *   {"reason":"bad-json: …","code":"bad-json","topic":"flows","partition":2,"offset":"17",
 *    "raw":"…","at":"2024-05-01T10:00:00.000Z"}
 * (file input: "file","line" in place of "topic","partition","offset"), plus the headers in
 * DEAD_LETTER_HEADERS. `write` resolves once the broker acknowledged every dead letter.
 */
export async function openKafkaDeadLetterSink(kafka: Kafka, options: KafkaDeadLetterOptions, deps: KafkaDeadLetterSinkDeps = {}): Promise<KafkaDeadLetterSink> {
  const s = parseSettings(KafkaDeadLetterSchema, options, 'kafka dead-letter sink');
  const now = deps.now ?? (() => new Date());
  const producer = await startTopicProducer(kafka, s, 'dead-letter sink');
  const perCode = new Map<string, number>();
  let total = 0;
  return {
    topic: s.topic,
    get total() {
      return total;
    },
    counts: () => Object.fromEntries(perCode),
    async write(items: readonly BadInput[]) {
      const at = now();
      const codes = items.map((item) => reasonCode(item.reason));
      await producer.send(
        items.map((item, i) => {
          const source = formatPosition(item.position);
          return {
            key: source,
            value: deadLetterLine(item, at).slice(0, -1),
            headers: {
              [DEAD_LETTER_HEADERS.reasonCode]: codes[i] as string,
              [DEAD_LETTER_HEADERS.source]: source,
              [DEAD_LETTER_HEADERS.rawEncoding]: s.rawEncoding,
            },
          };
        }),
      );
      // Counted once acknowledged: the counts say what the topic holds.
      for (const code of codes) perCode.set(code, (perCode.get(code) ?? 0) + 1);
      total += items.length;
    },
    close: () => producer.close(),
  };
}
