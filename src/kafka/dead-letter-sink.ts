import type { Kafka } from 'kafkajs';
import { deadLetterLine, reasonCode } from '../sinks/dlq-file.js';
import { formatPosition, type BadInput } from '../sources/record.js';
import type { DeadLetterSink } from '../stages/route-bad-input.js';
import { KafkaDeadLetterSchema, parseSettings, type KafkaDeadLetterOptions } from './settings.js';
import { startTopicProducer, type KeyedRecord } from './topic-producer.js';

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

/** The dead-letter records of `items` (see openKafkaDeadLetterSink), written at `at`. */
export function deadLetterRecords(items: readonly BadInput[], at: Date, rawEncoding: 'utf8' | 'base64'): KeyedRecord[] {
  return items.map((item) => {
    const source = formatPosition(item.position);
    return {
      key: source,
      value: deadLetterLine(item, at).slice(0, -1),
      headers: {
        [DEAD_LETTER_HEADERS.reasonCode]: reasonCode(item.reason),
        [DEAD_LETTER_HEADERS.source]: source,
        [DEAD_LETTER_HEADERS.rawEncoding]: rawEncoding,
      },
    };
  });
}

/** Dead letters per reason code, added as the topic acknowledges them. */
export class DeadLetterCounts {
  readonly #perCode = new Map<string, number>();
  total = 0;

  add(records: readonly KeyedRecord[]): void {
    for (const r of records) {
      const code = r.headers?.[DEAD_LETTER_HEADERS.reasonCode] ?? 'unknown';
      this.#perCode.set(code, (this.#perCode.get(code) ?? 0) + 1);
    }
    this.total += records.length;
  }

  counts(): Record<string, number> {
    return Object.fromEntries(this.#perCode);
  }
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
  const counts = new DeadLetterCounts();
  return {
    topic: s.topic,
    get total() {
      return counts.total;
    },
    counts: () => counts.counts(),
    async write(items: readonly BadInput[]) {
      const records = deadLetterRecords(items, now(), s.rawEncoding);
      await producer.send(records);
      // Counted once acknowledged: the counts say what the topic holds.
      counts.add(records);
    },
    close: () => producer.close(),
  };
}
