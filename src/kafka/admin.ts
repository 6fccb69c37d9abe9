/**
 * Topic administration for vigil's startup and for tests: make sure topics exist with at
 * least the partitions asked for.
 */
import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import { KafkaAdminError, wrapKafkaError } from './errors.js';
import { parseSettings, TopicNameSchema } from './settings.js';

export const TOPIC_SPEC_DEFAULTS = {
  /** -1: the broker's default.replication.factor. */
  replicationFactor: -1,
};

const TopicSpecsSchema = z
  .array(
    z.strictObject({
      topic: TopicNameSchema,
      partitions: z.number().int().positive({ error: 'a topic needs at least 1 partition' }),
      replicationFactor: z
        .number()
        .int()
        .refine((n) => n === -1 || n >= 1, { error: 'use -1 (the broker default) or a count >= 1' })
        .default(TOPIC_SPEC_DEFAULTS.replicationFactor),
    }),
  )
  .refine((specs) => new Set(specs.map((t) => t.topic)).size === specs.length, { error: 'list each topic once' });

export type TopicSpec = z.input<typeof TopicSpecsSchema>[number];

export interface EnsureTopicsReport {
  created: string[];
  /** Topics that had fewer partitions than asked and were grown (Kafka cannot shrink them). */
  grown: { topic: string; from: number; to: number }[];
  /** Topics that already had at least the partitions asked for. */
  unchanged: { topic: string; partitions: number }[];
}

/**
 * Creates the missing topics, adds partitions to those that have fewer than asked, and waits
 * until every partition has a leader. Topics with more partitions than asked are left as they
 * are. Growing a topic moves keys to other partitions: per-key order holds only from then on.
 */
export async function ensureTopics(kafka: Kafka, specs: readonly TopicSpec[], options: { timeoutMs?: number } = {}): Promise<EnsureTopicsReport> {
  const wanted = parseSettings(TopicSpecsSchema, specs, 'topics');
  const timeout = options.timeoutMs ?? 10_000;
  const report: EnsureTopicsReport = { created: [], grown: [], unchanged: [] };
  if (wanted.length === 0) return report;
  const admin = kafka.admin();
  const names = wanted.map((t) => t.topic).join(', ');
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions, replicationFactor: t.replicationFactor })),
        waitForLeaders: true,
        timeout,
      });
      report.created.push(...missing.map((t) => t.topic));
    }
    const present = wanted.filter((t) => existing.has(t.topic));
    if (present.length > 0) {
      const { topics } = await admin.fetchTopicMetadata({ topics: present.map((t) => t.topic) });
      const toGrow: { topic: string; count: number }[] = [];
      for (const spec of present) {
        const have = topics.find((t) => t.name === spec.topic)?.partitions.length ?? 0;
        if (have < spec.partitions) {
          toGrow.push({ topic: spec.topic, count: spec.partitions });
          report.grown.push({ topic: spec.topic, from: have, to: spec.partitions });
        } else {
          report.unchanged.push({ topic: spec.topic, partitions: have });
        }
      }
      if (toGrow.length > 0) await admin.createPartitions({ topicPartitions: toGrow, timeout });
    }
  } catch (err) {
    throw wrapKafkaError(KafkaAdminError, `ensuring topics ${names} failed`, err);
  } finally {
    await admin.disconnect();
  }
  return report;
}
