import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFeatures, type FeaturesRunOptions } from '../../src/cli/run-features.js';
import type { FlowEvent } from '../../src/events/flow-event.js';
import { isSecurityEvent } from '../../src/events/security-events.js';
import { openMigratedOfflineStore } from '../../src/store/open-stores.js';
import type { InputEvent } from '../../src/sources/file-source.js';
import type { FeatureLine } from '../../src/vector/v2/feature-line-sink.js';
import { decodeAll, SYSLOG_YEAR, writeV2Inputs, type V2Inputs } from '../features/v2-fixtures.js';
import { adminClient, CLICKHOUSE_URL, ensureClickHouse, randomDatabase } from '../offline/clickhouse-test-server.js';
import { REDIS_URL, testClient } from '../store/redis-test-client.js';

/**
 * The features topology with its stores: events recorded in the offline store replay through
 * `backfill` to the very vectors the stream computed (online/offline consistency), and
 * per-source states kept in Redis let a second process continue where the first stopped.
 */
let inputs: V2Inputs;
/** sshd (2015), flows (2017), Cowrie (2018): the inputs in time order, as a stream would see them. */
let ordered: string[];
let flows: FlowEvent[];
/** Auth, command and session events of the sshd and Cowrie inputs. */
let securityEvents: number;
/** The same inputs cut in two inside the flows, for two runs in turn. */
let halves: [string[], string[]];
const databases: string[] = [];
const prefixes: string[] = [];

/** Flows as JSON lines in backfill order (ts, source IP, event id); JSON has no NaN, so "NaN". */
function writeSortedFlows(events: readonly InputEvent[], path: string): FlowEvent[] {
  const list = events.filter((e): e is FlowEvent => !isSecurityEvent(e));
  list.sort((a, b) => a.ts - b.ts || cmp(a.srcIp, b.srcIp) || cmp(a.eventId, b.eventId));
  const text = list.map((f) => JSON.stringify({ ...f, features: Object.fromEntries(Object.entries(f.features).map(([k, v]) => [k, Number.isNaN(v) ? 'NaN' : v])) }));
  writeFileSync(path, text.join('\n') + '\n');
  return list;
}
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function linesOf(path: string): FeatureLine[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as FeatureLine);
}

function options(out: string, extra: Partial<FeaturesRunOptions>): FeaturesRunOptions {
  return { inputs: ordered, out, dlq: null, syslogYear: SYSLOG_YEAR, batchSize: 37, batchWaitMs: 5, ...extra };
}

beforeAll(async () => {
  await ensureClickHouse();
  inputs = writeV2Inputs();
  const jsonl = join(inputs.dir, 'flows.jsonl');
  flows = writeSortedFlows((await decodeAll(inputs.csv)).events, jsonl);
  securityEvents = (await decodeAll(inputs.sshd)).events.length + (await decodeAll(inputs.cowrie)).events.length;
  ordered = [inputs.sshd, jsonl, inputs.cowrie];
  const lines = readFileSync(jsonl, 'utf8').trimEnd().split('\n');
  const cut = Math.floor(lines.length / 2);
  const [early, late] = [join(inputs.dir, 'flows-early.jsonl'), join(inputs.dir, 'flows-late.jsonl')];
  writeFileSync(early, lines.slice(0, cut).join('\n') + '\n');
  writeFileSync(late, lines.slice(cut).join('\n') + '\n');
  halves = [[inputs.sshd, early], [late, inputs.cowrie]];
});

afterAll(async () => {
  const admin = adminClient();
  for (const db of databases) await admin.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await admin.close();
  const redis = testClient();
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
});

describe('features topology with an offline store: backfill', () => {
  it('replays the recorded events from ClickHouse to identical vectors', async () => {
    const db = randomDatabase();
    databases.push(db);
    const offline = `${CLICKHOUSE_URL}/${db}`;
    const streamed = join(inputs.dir, 'streamed.jsonl');
    const backfilled = join(inputs.dir, 'backfilled.jsonl');

    const live = await runFeatures(options(streamed, { offline }));
    const replay = await runFeatures(options(backfilled, { inputs: [], replay: { offline } }));

    const a = linesOf(streamed);
    const b = linesOf(backfilled);
    // Every decoded event of the three inputs: the sorted flows plus the Cowrie and sshd events.
    expect(live.events).toBe(flows.length + securityEvents);
    expect(a.length).toBe(live.events);
    expect(replay.events).toBe(live.events);
    expect(replay.deadLettered).toBe(0);
    // Flows, auth, command and session events all went through both paths.
    expect(new Set(a.map((l) => l.key)).size).toBeGreaterThan(10);
    expect(b.map((l) => l.eventId)).toEqual(a.map((l) => l.eventId));
    for (let i = 0; i < a.length; i++) {
      expect(a[i]!.vector).toHaveLength(100);
      expect(a[i]!.vector.every(Number.isFinite)).toBe(true);
      const differing = a[i]!.vector.flatMap((v, d) => (Object.is(v, b[i]!.vector[d]) ? [] : [`feature ${d + 1}: ${v} streamed, ${b[i]!.vector[d]} backfilled`]));
      expect({ line: i, event: a[i]!.eventId, differing }).toEqual({ line: i, event: a[i]!.eventId, differing: [] });
    }
    // The features 80-99 are not constant: the comparison covers values that vary.
    const varying = Array.from({ length: 20 }, (_, k) => 79 + k).filter((d) => new Set(a.map((l) => l.vector[d])).size > 1);
    expect(varying.length).toBeGreaterThan(8);

    const store = await openMigratedOfflineStore(offline);
    try {
      expect(await store.count('events')).toBe(live.events);
    } finally {
      await store.close();
    }
  });

  it('with a model: records each flow\'s scored vector and verdict, and the backfill, scoring too, still gives identical vectors', async () => {
    const db = randomDatabase();
    databases.push(db);
    const offline = `${CLICKHOUSE_URL}/${db}`;
    const streamed = join(inputs.dir, 'streamed-scored.jsonl');
    const backfilled = join(inputs.dir, 'backfilled-scored.jsonl');
    // Batches smaller than the outcome lag, and of another size in the backfill.
    const live = await runFeatures(options(streamed, { offline, model: 'v1', batchSize: 50 }));
    await runFeatures(options(backfilled, { inputs: [], replay: { offline }, model: 'v1', batchSize: 64 }));
    const a = linesOf(streamed);
    expect(linesOf(backfilled)).toEqual(a);

    const store = await openMigratedOfflineStore(offline);
    try {
      expect(await store.count('feature_vectors')).toBe(flows.length);
      expect(await store.count('verdicts')).toBe(flows.length);
      const byEvent = new Map(a.map((l) => [l.eventId, l.vector]));
      let checked = 0;
      for await (const rows of store.scan('feature_vectors')) {
        for (const row of rows) {
          expect(row.modelVersion).toBe('v1');
          expect(Array.from(row.vector)).toEqual(byEvent.get(row.eventId));
          checked++;
        }
      }
      expect(checked).toBe(flows.length);
      expect(live.events).toBeGreaterThan(flows.length);
    } finally {
      await store.close();
    }
  });

  it('backfills one source only with --key, through the same code', async () => {
    const db = randomDatabase();
    databases.push(db);
    const offline = `${CLICKHOUSE_URL}/${db}`;
    const streamed = join(inputs.dir, 'streamed-key.jsonl');
    await runFeatures(options(streamed, { offline }));
    const key = flows[0]!.srcIp;
    const out = join(inputs.dir, 'backfilled-key.jsonl');
    const result = await runFeatures(options(out, { inputs: [], replay: { offline, range: { key } } }));
    const lines = linesOf(out);
    expect(result.events).toBe(linesOf(streamed).filter((l) => l.key === key).length);
    expect(lines.every((l) => l.key === key)).toBe(true);
  });
});

describe('features topology with Redis source states', () => {
  it('a second process restores each source from Redis and continues it exactly', async () => {
    const prefix = `vigil-test-state-${process.pid}-${Date.now()}:`;
    prefixes.push(prefix);
    const whole = join(inputs.dir, 'whole.jsonl');
    await runFeatures(options(whole, {}));

    // The same inputs split over two runs (two processes in turn) sharing Redis.
    const first = join(inputs.dir, 'first.jsonl');
    const second = join(inputs.dir, 'second.jsonl');
    const r1 = await runFeatures(options(first, { inputs: halves[0], state: REDIS_URL, keyPrefix: prefix }));
    const r2 = await runFeatures(options(second, { inputs: halves[1], state: REDIS_URL, keyPrefix: prefix }));
    expect(r1.state.saved).toBeGreaterThan(0);
    expect(r2.state.restored).toBeGreaterThan(0);
    const split = [...linesOf(first), ...linesOf(second)];
    expect(split.map((l) => l.eventId)).toEqual(linesOf(whole).map((l) => l.eventId));
    expect(split.map((l) => l.vector)).toEqual(linesOf(whole).map((l) => l.vector));

    // Without the store, the second run starts every source afresh and its vectors differ.
    const cold = join(inputs.dir, 'cold.jsonl');
    await runFeatures(options(cold, { inputs: halves[1] }));
    expect(linesOf(cold).map((l) => l.vector)).not.toEqual(linesOf(second).map((l) => l.vector));
  });

  it('evicts idle sources from memory and restores them from Redis when they come back, unchanged', async () => {
    const prefix = `vigil-test-evict-${process.pid}-${Date.now()}:`;
    prefixes.push(prefix);
    const kept = join(inputs.dir, 'kept.jsonl');
    const evicting = join(inputs.dir, 'evicting.jsonl');
    await runFeatures(options(kept, { state: REDIS_URL, keyPrefix: `${prefix}a:` }));
    const result = await runFeatures(options(evicting, { state: REDIS_URL, keyPrefix: `${prefix}b:`, idleMs: 1_000 }));
    expect(result.state.evicted).toBeGreaterThan(0);
    expect(result.state.restored).toBeGreaterThan(0);
    expect(result.sources).toBeLessThan(new Set(linesOf(kept).map((l) => l.key)).size);
    expect(linesOf(evicting).map((l) => l.vector)).toEqual(linesOf(kept).map((l) => l.vector));
  });
});
