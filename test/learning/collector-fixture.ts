/**
 * What the collector tests share: a SQLite offline store in a temp dir holding the vectors
 * some events were scored with, at known times, and labels about them whose right answer is
 * known: which vector each must join with, or why it must be dead-lettered.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { LabelInput } from '../../src/kafka/label-codec.js';
import type { FeatureVectorRow, TrainingSample } from '../../src/store/offline-store.js';
import { SqliteOfflineStore } from '../../src/store/sqlite/sqlite-offline-store.js';

/** evt-a was scored twice (model m1 then m2), evt-b once, evt-c never. */
export const SCORED: readonly FeatureVectorRow[] = [
  { key: '10.0.0.1', ts: 1_000, eventId: 'evt-a', featureVersion: 2, vector: [1, 2, 3], modelVersion: 'm1', verdictClass: 'dos' },
  { key: '10.0.0.1', ts: 3_000, eventId: 'evt-a', featureVersion: 2, vector: [4, 5, 6], modelVersion: 'm2', verdictClass: 'recon' },
  { key: '10.0.0.2', ts: 2_000, eventId: 'evt-b', featureVersion: 2, vector: [7, 8, 9], modelVersion: 'm1', verdictClass: 'normal' },
];

/** Labels and, for each, the vector it must join with (an index into SCORED) or null: unknown event. */
export const LABELS: readonly { label: LabelInput; vector: number | null }[] = [
  // Between evt-a's two vectors: the earlier one, never the later m2 one.
  { label: { event_key: 'evt-a', label: 'brute_force', source: 'analyst', ts: 2_500, threat_score: 0.8 }, vector: 0 },
  // At exactly the second vector's time: that one (ts <= label time).
  { label: { event_key: 'evt-a', label: 'recon', source: 'council', ts: 3_000 }, vector: 1 },
  // Before evt-b was ever scored: no vector yet.
  { label: { event_key: 'evt-b', label: 'dos', source: 'analyst', ts: 1_999 }, vector: null },
  { label: { event_key: 'evt-b', label: 'normal', source: 'dataset', ts: 2_000, threat_score: 0.1 }, vector: 2 },
  // Never scored at all.
  { label: { event_key: 'evt-c', label: 'botnet', source: 'council', ts: 9_000 }, vector: null },
  { label: { event_key: 'evt-a', label: 'intrusion', source: 'analyst', ts: 10_000 }, vector: 1 },
];

/** Records that are not labels, and the reason code each must be dead-lettered with. */
export const BAD_RECORDS: readonly { text: string; code: string }[] = [
  { text: '{"event_key": "evt-a", "label":', code: 'bad-json' },
  { text: JSON.stringify({ event_key: 'evt-a', label: 'not-a-class', source: 'analyst', ts: 5_000 }), code: 'bad-label' },
];

export interface TempStore {
  store: SqliteOfflineStore;
  path: string;
  dlqPath: string;
  /** Rows in training_samples, read on a connection of its own (synchronously). */
  sampleRows(): number;
  /** Lines of the dead-letter file, parsed. */
  deadLetters(): { code: string; reason: string; raw: string }[];
  remove(): Promise<void>;
}

export async function openTempStore(): Promise<TempStore> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-collector-'));
  const path = join(dir, 'offline.sqlite');
  const dlqPath = join(dir, 'dlq.jsonl');
  const store = new SqliteOfflineStore({ path });
  await store.migrate();
  await store.insertFeatureVectors(SCORED);
  const reader = new Database(path, { readonly: true });
  return {
    store,
    path,
    dlqPath,
    sampleRows: () => (reader.prepare('SELECT count(*) AS n FROM training_samples').get() as { n: number }).n,
    deadLetters: () => {
      let text = '';
      try {
        text = readFileSync(dlqPath, 'utf8');
      } catch (err) {
        // No dead letter written yet: the writer creates the file on its first write.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { code: string; reason: string; raw: string });
    },
    remove: async () => {
      reader.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function storedSamples(t: TempStore): Promise<TrainingSample[]> {
  const out: TrainingSample[] = [];
  for await (const batch of t.store.scan('training_samples')) out.push(...batch);
  return out;
}

/** The sample a label must become, built from the fixture's vector, not by the collector's code. */
export function expectedSample({ label, vector }: (typeof LABELS)[number]): TrainingSample {
  const row = SCORED[vector!]!;
  return {
    eventKey: label.event_key,
    ts: label.ts,
    features: Array.from(row.vector),
    label: label.label,
    mlLabel: row.verdictClass,
    featureVersion: row.featureVersion,
    modelVersion: row.modelVersion,
    source: label.source,
    threatScore: label.threat_score ?? null,
  };
}

export const byKeyAndTs = (a: TrainingSample, b: TrainingSample): number => a.eventKey.localeCompare(b.eventKey) || a.ts - b.ts;
