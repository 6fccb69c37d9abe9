/**
 * The training collector over a RecordSource of JSON lines and a SQLite offline store: the
 * point-in-time join, dead letters for unknown events and bad records, counters, and
 * acknowledgement only after the batch's writes are durable.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/vigil-error.js';
import { createLabelDecoder, createLabelEncoder } from '../../src/kafka/label-codec.js';
import { TrainingCollectorError } from '../../src/learning/training-collector-error.js';
import { TrainingCollector } from '../../src/learning/training-collector.js';
import { createDlqWriter } from '../../src/sinks/dlq-file.js';
import type { Position } from '../../src/sources/record.js';
import type { TrainingSample } from '../../src/store/offline-store.js';
import { arraySource } from './collector-array-source.js';
import { BAD_RECORDS, LABELS, byKeyAndTs, expectedSample, openTempStore, storedSamples, type TempStore } from './collector-fixture.js';

const encode = createLabelEncoder({ type: 'json' });
const decoder = createLabelDecoder({ type: 'json' });
const labelLines = LABELS.map(({ label }) => encode(label).toString('utf8'));
/** Labels with bad records among them: bad-json after the 2nd label, bad-label last. */
const allLines = [...labelLines.slice(0, 2), BAD_RECORDS[0]!.text, ...labelLines.slice(2), BAD_RECORDS[1]!.text];

describe('TrainingCollector', () => {
  let t: TempStore;
  beforeEach(async () => {
    t = await openTempStore();
  });
  afterEach(async () => {
    await t.remove();
  });

  it('joins each label with the vector scored at or before its time, and dead-letters the rest', async () => {
    const source = arraySource(allLines);
    const deadLetters = createDlqWriter(t.dlqPath);
    const collector = new TrainingCollector({ source, decoder, store: t.store, deadLetters, batch: { maxSize: 3, maxWaitMs: 0 } });
    const counters = await collector.run();
    await deadLetters.close();

    const known = LABELS.filter((l) => l.vector !== null);
    const unknown = LABELS.filter((l) => l.vector === null);
    expect((await storedSamples(t)).sort(byKeyAndTs)).toEqual(known.map(expectedSample).sort(byKeyAndTs));

    const letters = t.deadLetters();
    expect(letters.filter((d) => d.code === 'unknown-event').map((d) => JSON.parse(d.raw).event_key as string)).toEqual(unknown.map((l) => l.label.event_key));
    expect(letters.filter((d) => d.code !== 'unknown-event').map((d) => ({ code: d.code, raw: d.raw }))).toEqual(BAD_RECORDS.map((b) => ({ code: b.code, raw: b.text })));

    expect(counters).toMatchObject({ records: allLines.length, collected: known.length, unknownEvent: unknown.length, bad: BAD_RECORDS.length });
    expect(counters.collected + counters.unknownEvent + counters.bad).toBe(counters.records);
    const perSource: Record<string, { collected: number; unknownEvent: number }> = {};
    for (const { label, vector } of LABELS) {
      const c = (perSource[label.source] ??= { collected: 0, unknownEvent: 0 });
      if (vector === null) c.unknownEvent += 1;
      else c.collected += 1;
    }
    expect(counters.bySource).toEqual(perSource);
    expect(collector.state).toBe('stopped');
  });

  it('acknowledges each batch only once its samples and dead letters are durable', async () => {
    const seenAtAck: { last: Position; samples: number; deadLetters: number }[] = [];
    const source = arraySource(allLines, { onDurable: (last) => seenAtAck.push({ last, samples: t.sampleRows(), deadLetters: t.deadLetters().length }) });
    const deadLetters = createDlqWriter(t.dlqPath);
    const collector = new TrainingCollector({ source, decoder, store: t.store, deadLetters, batch: { maxSize: 3, maxWaitMs: 0 } });
    await collector.run();
    await deadLetters.close();

    // Lines 1-3, 4-6, 7-9: each batch's last line, acknowledged in order.
    const batchEnds = [3, 6, allLines.length];
    expect(source.acknowledged).toEqual(batchEnds.map((line) => ({ kind: 'file', file: 'labels.jsonl', line })));
    // At each acknowledgement, everything the lines up to it produced is already stored.
    const isSample = (i: number) => i < labelLines.length && LABELS[i]!.vector !== null;
    const lineOutcome = allLines.map((line) => {
      const i = labelLines.indexOf(line);
      return i === -1 ? 'bad' : isSample(i) ? 'sample' : 'dead';
    });
    expect(seenAtAck.map(({ samples, deadLetters }) => ({ samples, deadLetters }))).toEqual(
      batchEnds.map((end) => ({
        samples: lineOutcome.slice(0, end).filter((o) => o === 'sample').length,
        deadLetters: lineOutcome.slice(0, end).filter((o) => o !== 'sample').length,
      })),
    );
  });

  it('writes each micro-batch with one insert', async () => {
    const inserts: number[] = [];
    const store = {
      vectorsAsOf: t.store.vectorsAsOf.bind(t.store),
      insertTrainingSamples: async (rows: readonly TrainingSample[]) => {
        inserts.push(rows.length);
        await t.store.insertTrainingSamples(rows);
      },
    };
    const collector = new TrainingCollector({ source: arraySource(labelLines), decoder, store, deadLetters: createDlqWriter(null), batch: { maxSize: 100 } });
    const counters = await collector.run();
    expect(inserts).toEqual([counters.collected]);
    expect(t.sampleRows()).toBe(counters.collected);
  });

  it('leaves a batch unacknowledged and fails when its dead letters cannot be written', async () => {
    const source = arraySource(allLines);
    const failure = new Error('disk full');
    const collector = new TrainingCollector({ source, decoder, store: t.store, deadLetters: { write: () => Promise.reject(failure) }, batch: { maxSize: 100 } });
    await expect(collector.run()).rejects.toBe(failure);
    expect(source.acknowledged).toEqual([]);
    expect(collector.counters()).toMatchObject({ batches: 0, records: 0 });
    expect(collector.state).toBe('failed');
  });

  it('stop() ends a run on a source that never ends, after the batches in hand', async () => {
    const source = arraySource(labelLines, { endless: true });
    const collector = new TrainingCollector({ source, decoder, store: t.store, deadLetters: createDlqWriter(null), batch: { maxSize: 2, maxWaitMs: 0 } });
    const running = collector.run();
    await expect.poll(() => source.acknowledged.length).toBe(Math.ceil(labelLines.length / 2));
    const counters = await collector.stop();
    expect(await running).toEqual(counters);
    expect(counters.records).toBe(labelLines.length);
    expect(collector.state).toBe('stopped');
    expect(() => collector.run()).toThrow(TrainingCollectorError);
  });

  it('rejects bad batch settings at construction', () => {
    const options = { source: arraySource([]), decoder, store: t.store, deadLetters: createDlqWriter(null) };
    expect(() => new TrainingCollector({ ...options, batch: { maxSize: 0 } })).toThrow(ConfigError);
    expect(() => new TrainingCollector({ ...options, batch: { maxWaitMs: -1 } })).toThrow(/maxWaitMs/);
  });
});
