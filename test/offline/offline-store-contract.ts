import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { THREAT_CLASSES } from '../../src/events/threat-classes.js';
import type { Verdict } from '../../src/events/verdict.js';
import { OfflineStoreError } from '../../src/store/offline-errors.js';
import {
  OFFLINE_TABLES,
  type EventRow,
  type FeatureVectorRow,
  type OfflineRows,
  type OfflineStore,
  type OfflineTable,
  type RetrainRun,
  type TrainingSample,
} from '../../src/store/offline-store.js';
import { TABLE_SPECS, type ColumnType } from '../../src/store/offline-tables.js';
import { AWKWARD_DOUBLES, T0, asStored, doubleBits, generatedRows, randomVector, scanOrder } from './generated-rows.js';
import { mulberry32 } from '../../src/training/rng.js';

/**
 * The behaviour every OfflineStore must show, written once and run against each
 * implementation (clickhouse-offline-store.test.ts, sqlite-offline-store.test.ts) through a
 * harness that owns the backend.
 */
export interface OfflineHarness {
  /** A store on a new, empty database (not migrated yet). */
  createStore(): Promise<OfflineStore>;
  /** Another store on the same database as the last `createStore`. */
  reopen(): Promise<OfflineStore>;
  /** The backend's type for each logical column type, as its migrations declare them. */
  readonly columnTypes: Readonly<Record<ColumnType, string>>;
  /** The columns of `table` in the database, in order, as the backend reports them. */
  describeTable(table: string): Promise<{ name: string; type: string }[]>;
  /** Records a migration behind the store's back, as newer code would have. */
  recordMigration(version: number, name: string, checksum: string): Promise<void>;
  /** Drops what `createStore` made. */
  cleanup(): Promise<void>;
}

export async function collect<T>(batches: AsyncIterable<T[]>): Promise<{ rows: T[]; sizes: number[] }> {
  const rows: T[] = [];
  const sizes: number[] = [];
  for await (const batch of batches) {
    sizes.push(batch.length);
    rows.push(...batch);
  }
  return { rows, sizes };
}

async function insert<T extends OfflineTable>(store: OfflineStore, table: T, rows: readonly OfflineRows[T][]): Promise<void> {
  const inserts: { [K in OfflineTable]: (r: readonly OfflineRows[K][]) => Promise<void> } = {
    events: (r) => store.insertEvents(r),
    feature_vectors: (r) => store.insertFeatureVectors(r),
    verdicts: (r) => store.insertVerdicts(r),
    training_samples: (r) => store.insertTrainingSamples(r),
    retrain_runs: (r) => store.insertRetrainRuns(r),
  };
  await inserts[table](rows);
}

/** How each table's rows sort in a scan (ts, key, event id) and what their arrays are. */
const ORDER: { [T in OfflineTable]: (a: OfflineRows[T], b: OfflineRows[T]) => number } = {
  events: scanOrder<EventRow>((r) => r.ts, (r) => r.key, (r) => r.eventId),
  feature_vectors: scanOrder<FeatureVectorRow>((r) => r.ts, (r) => r.key, (r) => r.eventId),
  verdicts: scanOrder<Verdict>((r) => r.ts, (r) => r.srcIp, (r) => r.eventKey),
  training_samples: scanOrder<TrainingSample>((r) => r.ts, (r) => r.eventKey),
  retrain_runs: scanOrder<RetrainRun>((r) => r.ts, (r) => r.runId),
};

function vectorRow(eventId: string, ts: number, vector: number[], extra: Partial<FeatureVectorRow> = {}): FeatureVectorRow {
  return { key: '10.1.1.1', ts, eventId, featureVersion: 1, vector, modelVersion: 'm-1', verdictClass: 'normal', ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<OfflineStoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OfflineStoreError);
  return error as OfflineStoreError;
}

export function describeOfflineStoreContract(name: string, makeHarness: () => OfflineHarness): void {
  describe(`${name}: the OfflineStore contract`, () => {
    let harness: OfflineHarness;
    let store: OfflineStore;
    beforeEach(async () => {
      harness = makeHarness();
      store = await harness.createStore();
    });
    afterEach(async () => {
      await store.close();
      await harness.cleanup();
    });

    describe('migrations', () => {
      it('applies 001..005 in order once, records them, and applies nothing the second time', async () => {
        expect(await store.migrate()).toEqual({ applied: [1, 2, 3, 4, 5], version: 5 });
        const recorded = await store.appliedMigrations();
        expect(recorded.map((m) => m.name)).toEqual([
          '001_create_events',
          '002_create_feature_vectors',
          '003_create_verdicts',
          '004_create_training_samples',
          '005_create_retrain_runs',
        ]);
        expect(recorded.every((m) => /^[0-9a-f]{64}$/.test(m.checksum) && m.appliedAtMs > T0)).toBe(true);

        expect(await store.migrate()).toEqual({ applied: [], version: 5 });
        const other = await harness.reopen();
        try {
          expect(await other.migrate()).toEqual({ applied: [], version: 5 });
        } finally {
          await other.close();
        }
        expect(await store.appliedMigrations()).toEqual(recorded);
      });

      it('creates exactly the columns the tables are described with', async () => {
        await store.migrate();
        for (const table of OFFLINE_TABLES) {
          const expected = TABLE_SPECS[table].columns.map((c) => ({ name: c.name, type: harness.columnTypes[c.type] }));
          expect(await harness.describeTable(table), table).toEqual(expected);
        }
      });

      it('refuses a database that records a migration this code does not have', async () => {
        await store.migrate();
        await harness.recordMigration(99, '099_from_the_future', 'f'.repeat(64));
        const error = await rejection(store.migrate());
        expect(error.retriable).toBe(false);
        expect(error.message).toMatch(/migration 99 .*newer vigil/);
      });
    });

    describe('with the schema in place', () => {
      beforeEach(async () => {
        await store.migrate();
      });

      it.each(OFFLINE_TABLES)('reads back the rows inserted into %s, exactly and in scan order', async (table) => {
        const rows = generatedRows(table, 7, 40);
        await insert(store, table, rows);
        const { rows: back } = await collect(store.scan(table));
        const expected = [...rows].sort(ORDER[table] as (a: unknown, b: unknown) => number).map(asStored);
        expect(back).toEqual(expected);
        expect(await store.count(table)).toBe(40);
      });

      it('keeps Float64 vectors bit-exact, typed arrays included', async () => {
        const rng = mulberry32(3);
        const vectors = [AWKWARD_DOUBLES, randomVector(rng, 100), randomVector(rng, 79)];
        await store.insertFeatureVectors([
          vectorRow('a', T0, vectors[0]!),
          vectorRow('b', T0 + 1, vectors[1]!),
          vectorRow('c', T0 + 2, vectors[2]!, { vector: Float64Array.from(vectors[2]!) }),
        ]);
        const { rows } = await collect(store.scan('feature_vectors'));
        expect(rows.map((r) => doubleBits(r.vector))).toEqual(vectors.map(doubleBits));
        expect(rows.every((r) => Array.isArray(r.vector))).toBe(true);
      });

      it.each([
        ['NaN', Number.NaN],
        ['Infinity', Number.POSITIVE_INFINITY],
        ['-Infinity', Number.NEGATIVE_INFINITY],
      ])('rejects a vector holding %s, writing none of the batch', async (_, bad) => {
        const vector = [1, 2, bad, 4];
        const error = await rejection(store.insertFeatureVectors([vectorRow('ok', T0, [1, 2, 3]), vectorRow('bad', T0, vector)]));
        expect(error.retriable).toBe(false);
        expect(error.message).toContain('feature_vectors row 1 vector[2] is');
        expect(await store.count('feature_vectors')).toBe(0);
      });

      it.each<[string, OfflineTable, (r: Record<string, unknown>) => void, RegExp]>([
        ['an empty vector', 'feature_vectors', (r) => { r.vector = []; }, /row 0 vector is empty/],
        ['an unknown verdict class', 'feature_vectors', (r) => { r.verdictClass = 'spam'; }, /verdict_class is "spam", expected one of normal/],
        ['a fractional ts', 'events', (r) => { r.ts = T0 + 0.5; }, /ts_ms is .* expected epoch ms/],
        ['a negative ts', 'events', (r) => { r.ts = -1; }, /ts_ms is -1/],
        ['a payload that is not JSON', 'events', (r) => { r.payload = '{"a":'; }, /payload is not JSON text/],
        ['an empty key', 'events', (r) => { r.key = ''; }, /row 0 key is empty/],
        ['a missing probability', 'verdicts', (r) => { delete (r.probabilities as Record<string, number>).botnet; }, /probabilities\[5\] \(botnet\) is undefined/],
        ['an unknown probability', 'verdicts', (r) => { (r.probabilities as Record<string, number>).spam = 0; }, /probabilities has unknown classes spam/],
        ['a NaN threat score', 'training_samples', (r) => { r.threatScore = Number.NaN; }, /threat_score is NaN, expected a finite number or null/],
        ['a feature version above UInt16', 'training_samples', (r) => { r.featureVersion = 70_000; }, /feature_version is 70000/],
      ])('rejects %s before writing', async (_, table, spoil, message) => {
        const [row] = generatedRows(table, 5, 1);
        const bad = structuredClone(row) as unknown as Record<string, unknown>;
        spoil(bad);
        const error = await rejection(insert(store, table, [bad as never]));
        expect(error.retriable).toBe(false);
        expect(error.operation).toBe('insert');
        expect(error.message).toMatch(message);
        expect(await store.count(table)).toBe(0);
      });

      it('keeps a null threat score null and a given one exact', async () => {
        const [a, b] = generatedRows('training_samples', 9, 2);
        await store.insertTrainingSamples([{ ...a!, threatScore: null, ts: T0 }, { ...b!, threatScore: 1 / 3, ts: T0 + 1 }]);
        const { rows } = await collect(store.scan('training_samples'));
        expect(rows.map((r) => r.threatScore)).toEqual([null, 1 / 3]);
      });

      it('replays events of a time range, or of one key in it, in ts order and in batches', async () => {
        const events = generatedRows('events', 11, 300, 4);
        await store.insertEvents(events);
        const from = T0 + 10_000;
        const to = T0 + 40_000;
        const inRange = events.filter((e) => e.ts >= from && e.ts < to).sort(ORDER.events);

        const all = await collect(store.scan('events', { fromMs: from, toMs: to }, { batchSize: 16 }));
        expect(all.rows).toEqual(inRange);
        expect(all.sizes.slice(0, -1).every((s) => s === 16)).toBe(true);
        expect(all.sizes.at(-1)).toBeGreaterThan(0);

        const key = events[0]!.key;
        const one = await collect(store.scan('events', { key, fromMs: from, toMs: to }, { batchSize: 7 }));
        expect(one.rows).toEqual(inRange.filter((e) => e.key === key));
        expect(await store.count('events', { key, fromMs: from, toMs: to })).toBe(one.rows.length);
        expect(await store.count('events', { fromMs: from })).toBe(events.filter((e) => e.ts >= from).length);
      });

      it('reads training samples since a time', async () => {
        const samples = generatedRows('training_samples', 13, 60);
        await store.insertTrainingSamples(samples);
        const since = T0 + 30_000;
        const { rows } = await collect(store.scan('training_samples', { fromMs: since }));
        expect(rows).toEqual(samples.filter((s) => s.ts >= since).sort(ORDER.training_samples));
      });

      it('lets a scan stop early, and writes go on while one is open', async () => {
        await store.insertEvents(generatedRows('events', 17, 50));
        const seen: number[] = [];
        for await (const batch of store.scan('events', {}, { batchSize: 10 })) {
          seen.push(batch.length);
          await store.insertEvents(generatedRows('events', 18 + seen.length, 1));
          if (seen.length === 2) break;
        }
        expect(seen).toEqual([10, 10]);
        expect(await store.count('events')).toBe(52);
      });

      it('finds the vector scored for an event as of a label time', async () => {
        const first = vectorRow('e1', T0 + 1_000, [1, 1], { modelVersion: 'm-1' });
        const rescored = vectorRow('e1', T0 + 5_000, [2, 2], { modelVersion: 'm-2' });
        const other = vectorRow('e2', T0 + 2_000, [3, 3], { key: '10.9.9.9' });
        await store.insertFeatureVectors([rescored, other, first]);

        const answers = await store.vectorsAsOf([
          { eventId: 'e1', asOfMs: T0 + 4_999 },
          { eventId: 'e1', asOfMs: T0 + 5_000 },
          { eventId: 'e1', asOfMs: T0 + 999 },
          { eventId: 'e2', asOfMs: T0 + 9_000, key: '10.9.9.9' },
          { eventId: 'e2', asOfMs: T0 + 9_000, key: '10.1.1.1' },
          { eventId: 'nope', asOfMs: T0 + 9_000 },
          { eventId: 'e1', asOfMs: T0 + 1_000, key: '10.1.1.1' },
        ]);
        expect(answers).toEqual([first, rescored, undefined, other, undefined, undefined, first]);
        expect(await store.vectorsAsOf([])).toEqual([]);
      });

      it('breaks ties on ts by feature version, then model version', async () => {
        await store.insertFeatureVectors([
          vectorRow('t', T0, [1], { featureVersion: 1, modelVersion: 'm-9' }),
          vectorRow('t', T0, [2], { featureVersion: 2, modelVersion: 'm-1' }),
          vectorRow('t', T0, [3], { featureVersion: 2, modelVersion: 'm-0' }),
        ]);
        const [answer] = await store.vectorsAsOf([{ eventId: 't', asOfMs: T0 }]);
        expect(answer?.vector).toEqual([2]);
      });

      it('keeps keys and ids with quotes, backslashes and newlines as data, and filters on them exactly', async () => {
        const nasty = [
          "o'brien",
          'back\\slash\\',
          'line\nbreak\r\n',
          "'); DROP TABLE events; --",
          "x' OR '1'='1",
          "\\'; DROP TABLE feature_vectors; --",
          'tab\tnul\u0000bell\u0007',
          '`backtick` "double"',
          'caf\u00e9 \u{1F600}',
        ];
        await store.insertEvents(nasty.map((key, i) => ({ key, ts: T0 + i, eventId: key, kind: 'flow', payload: JSON.stringify({ key }) })));
        await store.insertFeatureVectors(nasty.map((key, i) => vectorRow(key, T0 + i, [i], { key })));
        for (const key of nasty) {
          const { rows } = await collect(store.scan('events', { key }));
          expect(rows.map((r) => [r.key, r.eventId, JSON.parse(r.payload).key])).toEqual([[key, key, key]]);
        }
        const answers = await store.vectorsAsOf(nasty.map((key) => ({ eventId: key, key, asOfMs: T0 + 100 })));
        expect(answers.map((a) => a?.key)).toEqual(nasty);
        expect(await store.count('events')).toBe(nasty.length);
        expect(await store.count('feature_vectors')).toBe(nasty.length);
      });

      it('writes 10 000 feature vectors in one call', async () => {
        const rows = generatedRows('feature_vectors', 21, 10_000, 200);
        await store.insertFeatureVectors(rows);
        expect(await store.count('feature_vectors')).toBe(10_000);
        let n = 0;
        for await (const batch of store.scan('feature_vectors', { key: rows[5]!.key })) n += batch.length;
        expect(n).toBe(rows.filter((r) => r.key === rows[5]!.key).length);
      });

      it('treats an empty batch as nothing to do', async () => {
        await store.insertEvents([]);
        await store.insertVerdicts([]);
        expect(await store.count('events')).toBe(0);
        expect((await collect(store.scan('verdicts'))).sizes).toEqual([]);
      });

      it('rejects an unknown table, a bad range and a bad batch size', async () => {
        expect((await rejection(store.count('nope' as OfflineTable))).message).toMatch(/unknown table "nope"/);
        expect((await rejection(store.count('events', { fromMs: -5 }))).message).toMatch(/range.fromMs is -5/);
        expect((await rejection(collect(store.scan('events', {}, { batchSize: 0 })))).message).toMatch(/batchSize is 0/);
        expect((await rejection(store.vectorsAsOf([{ eventId: 'x', asOfMs: Number.NaN }]))).message).toMatch(/lookup 0 asOfMs is NaN/);
      });

      it('stores every threat class', async () => {
        const rows = THREAT_CLASSES.map((c, i) => vectorRow(`c${i}`, T0 + i, [i], { verdictClass: c }));
        await store.insertFeatureVectors(rows);
        expect((await collect(store.scan('feature_vectors'))).rows.map((r) => r.verdictClass)).toEqual([...THREAT_CLASSES]);
      });
    });
  });
}
