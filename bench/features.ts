/**
 * bench/features (issue 4): the latencies the feature engine promises, measured side by side
 * in one run on a realistic history (the CICIDS2017 training flows):
 *
 * 1. baseline features of a source IP: online-store lookup (Redis `getMany`) vs cold
 *    recomputation from the offline history (scan of the IP's events, folded by the same
 *    `baselineUpdate` + the store's `add` fold);
 * 2. temporal features: one `FeaturePipeline.step` per event (the windowed groups 80-100);
 * 3. vector + inference per event (models/v1 on the v2 -> v1 projection) with the source's
 *    baseline read from Redis: cached (the source's feature states are in this process), cold
 *    (they are not: a restarted or rebalanced instance loads the source's snapshot from the
 *    Redis state store first), and, for reference, with no state store at all (the states and
 *    baseline rebuilt by replaying the source's whole history from the offline store);
 * 4. events/s of the whole features topology (`vigil features`: decode, featurize, sink) over
 *    the data file: in memory only, and with per-source states in Redis plus every event
 *    recorded in the offline store.
 *
 * The history goes into a bench database (ClickHouse when it answers, else a temp SQLite
 * file) and under a bench Redis key prefix; both are removed at the end, even on failure.
 *
 *   npm run bench:features [-- --data ../shared/data/cicids2017/train.csv --events 0 (all) --lookups 20]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { BASELINE_FAMILY, baselineStats, baselineUpdate } from '../src/aggregate/baseline-features.js';
import type { FlowEvent } from '../src/events/flow-event.js';
import { loadSequenceModel } from '../src/features/behavioral/sequence-model.js';
import { FeaturePipeline } from '../src/features/pipeline.js';
import { projectVector } from '../src/features/registry.js';
import { initBackend } from '../src/inference/backend.js';
import { loadClassifier, type Classifier } from '../src/inference/classifier.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { resolveModelDir } from '../src/registry/resolve-model.js';
import { readFlows } from '../src/sources/read-events.js';
import { deleteKeysWithPrefix } from '../src/store/redis/delete-prefix.js';
import { ClickHouseOfflineStore } from '../src/store/clickhouse/clickhouse-offline-store.js';
import { MemoryOnlineStore } from '../src/store/memory/memory-online-store.js';
import { eventOfRow, eventRow, FLOW_EVENT_KIND } from '../src/store/event-rows.js';
import type { OfflineStore } from '../src/store/offline-store.js';
import type { KeyState, OnlineStore, StateUpdate } from '../src/store/online-store.js';
import { RedisOnlineStore } from '../src/store/redis/redis-online-store.js';
import { RedisSourceStateStore } from '../src/store/redis/redis-source-state-store.js';
import { runFeatures } from '../src/cli/run-features.js';
import { SqliteOfflineStore } from '../src/store/sqlite/sqlite-offline-store.js';
import { LatencyRecorder } from '../src/telemetry/latency.js';
import { loadIntelFiles } from '../src/vector/v2/intel-files.js';
import { createV2FeatureGroups } from '../src/vector/v2/v2-feature-groups.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(PACKAGE_ROOT, '../shared/data/cicids2017/train.csv') },
    events: { type: 'string', default: '0' },
    lookups: { type: 'string', default: '20' },
    'batch-size': { type: 'string', default: '256' },
    backend: { type: 'string', default: 'auto' },
  },
});
const BATCH = Number(values['batch-size']);
const LOOKUPS = Number(values.lookups);
const CLICKHOUSE_URL = process.env.VIGIL_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
const REDIS_URL = process.env.VIGIL_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN_ID = `${process.pid}_${Date.now()}`;
const KEY_PREFIX = `vigil-bench-features:${RUN_ID}:`;
const BENCH_DATABASE = `vigil_bench_features_${RUN_ID}`;
/** Relative difference under which cached and recomputed moments count as equal: Redis sums in another order. */
const AGREEMENT_TOLERANCE = 1e-6;

async function clickHouseAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/ping', url), { signal: AbortSignal.timeout(1000) });
    return response.ok;
  } catch {
    // Not answering is the expected case that selects SQLite; it is reported in the output.
    return false;
  }
}

interface BenchOffline {
  store: OfflineStore;
  name: string;
  /** How `vigil features --offline` names it (store/open-stores.ts). */
  spec: string;
  drop(): Promise<void>;
}

async function openBenchOffline(): Promise<BenchOffline> {
  if (await clickHouseAnswers(CLICKHOUSE_URL)) {
    const store = new ClickHouseOfflineStore({ url: CLICKHOUSE_URL, database: BENCH_DATABASE });
    const drop = async (): Promise<void> => {
      // The store has no drop (production never drops its history); the HTTP interface does.
      for (const db of [BENCH_DATABASE, `${BENCH_DATABASE}_topology`]) {
        const response = await fetch(new URL(`/?query=${encodeURIComponent(`DROP DATABASE IF EXISTS ${db}`)}`, CLICKHOUSE_URL), { method: 'POST' });
        if (!response.ok) throw new Error(`dropping ${db}: ${response.status} ${await response.text()}`);
      }
    };
    return { store, name: `ClickHouse ${CLICKHOUSE_URL} (database ${BENCH_DATABASE})`, spec: `${CLICKHOUSE_URL}/${BENCH_DATABASE}_topology`, drop };
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-features-'));
  const path = join(dir, 'offline.sqlite');
  return { store: new SqliteOfflineStore({ path }), name: `SQLite ${path} (ClickHouse not answering at ${CLICKHOUSE_URL})`, spec: `sqlite:${join(dir, 'topology.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

function flowOfPayload(payload: string): FlowEvent {
  const decoded = eventOfRow(payload, FLOW_EVENT_KIND);
  if (!decoded.ok) throw new Error(`bench history holds a bad event row: ${decoded.reason}`);
  return decoded.event as FlowEvent;
}

/** Cold path: the IP's baseline state rebuilt from its offline events with the online store's own fold. */
async function recomputeBaseline(offline: OfflineStore, ip: string): Promise<KeyState | undefined> {
  const updates: StateUpdate[] = [];
  for await (const rows of offline.scan('events', { key: ip })) {
    for (const row of rows) updates.push(baselineUpdate(flowOfPayload(row.payload), { partition: 0, offset: updates.length }));
  }
  const scratch = new MemoryOnlineStore({ families: [BASELINE_FAMILY] });
  await scratch.applyBatch(updates);
  const [state] = await scratch.getMany([{ family: BASELINE_FAMILY.name, entity: ip }]);
  return state;
}

async function cachedBaseline(online: OnlineStore, ip: string): Promise<KeyState | undefined> {
  const [state] = await online.getMany([{ family: BASELINE_FAMILY.name, entity: ip }]);
  return state;
}

/** Largest relative difference between two states' baseline moments (count, mean, std). */
function baselineDisagreement(a: KeyState | undefined, b: KeyState | undefined): number {
  const sa = baselineStats(a);
  const sb = baselineStats(b);
  let worst = 0;
  for (const [name, x] of Object.entries(sa)) {
    const y = sb[name]!;
    for (const k of ['count', 'mean', 'std'] as const) {
      const u = x[k];
      const v = y[k];
      if (Number.isNaN(u) && Number.isNaN(v)) continue;
      worst = Math.max(worst, Math.abs(u - v) / Math.max(1e-12, Math.abs(u), Math.abs(v)));
    }
  }
  return worst;
}

function score(pipeline: FeaturePipeline, classifier: Classifier, flow: FlowEvent): void {
  const v1 = projectVector(pipeline.step(flow), 2, 1);
  classifier.predictBatch(v1, 1);
}

async function timed<T>(recorder: LatencyRecorder, work: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  const result = await work();
  recorder.recordMs(performance.now() - started);
  return result;
}

const started = performance.now();
const load = loadavg();
const { events: flows } = await readFlows(values.data, {}, Number(values.events));
if (flows.length === 0) throw new Error(`no flows decoded from ${values.data}`);
const backend = await initBackend(values.backend as 'auto');
const classifier = await loadClassifier(resolveModelDir('v1'));
classifier.warmUp();
const intel = await loadIntelFiles({ eventTimeMs: flows[0]!.ts }, (m) => console.warn(`warn: ${m}`));
const pipeline = new FeaturePipeline({ groups: createV2FeatureGroups({ sequenceModel: await loadSequenceModel(), ...intel }) });

const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, commandTimeout: 10_000 });
const online = new RedisOnlineStore({ client, keyPrefix: KEY_PREFIX, families: [BASELINE_FAMILY] });
const offline = await openBenchOffline();
const stepMs = new LatencyRecorder();
const lookupCached = new LatencyRecorder();
const lookupCold = new LatencyRecorder();
const scoreCached = new LatencyRecorder();
const scoreCold = new LatencyRecorder();
const scoreRebuilt = new LatencyRecorder();
const states = new RedisSourceStateStore({ client, keyPrefix: KEY_PREFIX });
/** A second pipeline standing for a process that has not held the probed sources. */
const restarted = new FeaturePipeline({ groups: createV2FeatureGroups({ sequenceModel: await loadSequenceModel(), ...intel }) });
const topology: { name: string; seconds: number; events: number }[] = [];
let loadSeconds = 0;
let streamSeconds = 0;
let worstDisagreement = 0;
try {
  console.log(`bench/features: ${flows.length} flows from ${values.data}; offline store: ${offline.name}`);
  let t = performance.now();
  await offline.store.migrate();
  for (let i = 0; i < flows.length; i += 5_000) await offline.store.insertEvents(flows.slice(i, i + 5_000).map(eventRow));
  loadSeconds = (performance.now() - t) / 1000;

  // Items 2 and 4 in one pass, which also loads Redis with every flow's baseline update.
  t = performance.now();
  for (let i = 0; i < flows.length; i += BATCH) {
    const batch = flows.slice(i, i + BATCH);
    for (const flow of batch) await timed(stepMs, () => pipeline.step(flow));
    await online.applyBatch(batch.map((flow, j) => baselineUpdate(flow, { partition: 0, offset: i + j })));
  }
  streamSeconds = (performance.now() - t) / 1000;
  // What the features topology leaves in the state store after its batches: every source's snapshot.
  const sourceIps = [...new Set(flows.map((f) => f.srcIp))];
  await states.save(sourceIps.map((ip) => ({ entity: ip, snapshot: { layout: pipeline.layout, states: pipeline.source(ip)!.states, lastTs: pipeline.source(ip)!.lastTs } })));
  console.error(`progress: offline load ${loadSeconds.toFixed(1)} s, stream pass ${streamSeconds.toFixed(1)} s; probing ${LOOKUPS} sources`);

  // Lookup IPs drawn evenly over the stream, so busy sources weigh as much as they do in traffic.
  const probes = Array.from({ length: Math.min(LOOKUPS, flows.length) }, (_, i) => flows[Math.floor((i * flows.length) / Math.min(LOOKUPS, flows.length))]!);
  const lastTs = flows.reduce((m, f) => Math.max(m, f.ts), 0);
  for (const [i, probe] of probes.entries()) {
    const cached = await timed(lookupCached, async () => {
      const state = await cachedBaseline(online, probe.srcIp);
      baselineStats(state);
      return state;
    });
    const cold = await timed(lookupCold, async () => {
      const state = await recomputeBaseline(offline.store, probe.srcIp);
      baselineStats(state);
      return state;
    });
    worstDisagreement = Math.max(worstDisagreement, baselineDisagreement(cached, cold));
    // Re-scored as new events after the history, so window groups see them in order, not late.
    const next = { ...probe, eventId: `${probe.eventId}#bench`, ts: lastTs + 1 + 2 * i };
    await timed(scoreCached, async () => {
      baselineStats(await cachedBaseline(online, next.srcIp));
      score(pipeline, classifier, next);
    });
    restarted.forget(next.srcIp);
    await timed(scoreCold, async () => {
      const [[snapshot], baseline] = await Promise.all([states.load([next.srcIp]), cachedBaseline(online, next.srcIp)]);
      restarted.restore(next.srcIp, { states: snapshot!.current.states, lastTs: snapshot!.current.lastTs });
      baselineStats(baseline);
      score(restarted, classifier, next);
    });
    await timed(scoreRebuilt, async () => {
      const rebuilt = new FeaturePipeline({ groups: createV2FeatureGroups({ sequenceModel: await loadSequenceModel(), ...intel }) });
      const history: FlowEvent[] = [];
      for await (const rows of offline.store.scan('events', { key: next.srcIp })) for (const row of rows) history.push(flowOfPayload(row.payload));
      rebuilt.replay(history);
      baselineStats(await recomputeBaseline(offline.store, next.srcIp));
      score(rebuilt, classifier, next);
    });
  }
  // Item 4: the whole topology over the data file, as `vigil features` runs it.
  const runs = [
    { name: 'topology, in memory', extra: {} },
    { name: 'topology, Redis states + offline events', extra: { state: REDIS_URL, keyPrefix: `${KEY_PREFIX}topology:`, offline: offline.spec } },
  ];
  for (const run of runs) {
    const result = await runFeatures({ inputs: [values.data], out: '/dev/null', dlq: null, batchSize: BATCH, batchWaitMs: 20, ...run.extra });
    topology.push({ name: run.name, seconds: result.seconds, events: result.events });
  }
} finally {
  const deleted = await deleteKeysWithPrefix(client, KEY_PREFIX);
  await offline.store.close();
  await offline.drop();
  client.disconnect();
  console.log(`cleanup: ${deleted} bench keys deleted from Redis, offline bench store dropped`);
}

const lc = lookupCached.summary();
const ld = lookupCold.summary();
const st = stepMs.summary();
const sc = scoreCached.summary();
const sd = scoreCold.summary();
const sr = scoreRebuilt.summary();
const eventsPerSecond = flows.length / streamSeconds;
const perSource = new Map<string, number>();
for (const f of flows) perSource.set(f.srcIp, (perSource.get(f.srcIp) ?? 0) + 1);
const probedHistory = [...new Set(Array.from({ length: Math.min(LOOKUPS, flows.length) }, (_, i) => flows[Math.floor((i * flows.length) / Math.min(LOOKUPS, flows.length))]!.srcIp))].map((ip) => perSource.get(ip)!).sort((a, b) => a - b);
const ms = (x: number): string => `${x.toFixed(3)} ms`;
const rows: [string, string, string, string, string][] = [
  ['1. baseline lookup, Redis getMany', String(lc.count), ms(lc.p50), ms(lc.p99), ''],
  ['1. baseline cold, offline scan+fold', String(ld.count), ms(ld.p50), ms(ld.p99), ''],
  ['1. cold / cached (p50, p99)', '', `${(ld.p50 / lc.p50).toFixed(1)}x`, `${(ld.p99 / lc.p99).toFixed(1)}x`, '>= 1.43x (30% faster), aim >= 10x'],
  ['2. temporal: pipeline.step / event', String(st.count), ms(st.p50), ms(st.p99), 'p99 < 30 ms'],
  ['3. vector+inference, cached', String(sc.count), ms(sc.p50), ms(sc.p99), 'p99 < 50 ms'],
  ['3. vector+inference, cold (Redis state)', String(sd.count), ms(sd.p50), ms(sd.p99), 'p99 < 100 ms'],
  ['3. ... no state store: replay history', String(sr.count), ms(sr.p50), ms(sr.p99), '(reference)'],
  [`4. pipeline + Redis applyBatch (${BATCH})`, String(flows.length), `${eventsPerSecond.toFixed(0)} ev/s`, '', ''],
  ...topology.map((r): [string, string, string, string, string] => [`4. ${r.name}`, String(r.events), `${(r.events / r.seconds).toFixed(0)} ev/s`, '', '']),
];
console.log('');
console.log(['measure'.padEnd(40), 'n'.padStart(6), 'p50'.padStart(12), 'p99'.padStart(12), '  target'].join(' '));
for (const [name, n, p50, p99, target] of rows) console.log([name.padEnd(40), n.padStart(6), p50.padStart(12), p99.padStart(12), `  ${target}`].join(' '));
console.log('');
console.log(`item 4: "pipeline + Redis applyBatch" is FeaturePipeline.step per event plus one applyBatch of baseline updates per`);
console.log(`  micro-batch of ${BATCH}; "topology" rows run runFeatures (vigil features) over the whole file, sink /dev/null.`);
console.log(`history: ${perSource.size} source IPs; probed sources hold ${probedHistory[0]}..${probedHistory.at(-1)} events each (the cold path reads all of them)`);
console.log(`cached vs cold baselines agree: ${worstDisagreement <= AGREEMENT_TOLERANCE ? 'yes' : 'NO'} (worst relative difference ${worstDisagreement.toExponential(2)})`);
console.log(`offline load: ${flows.length} events in ${loadSeconds.toFixed(1)} s; stream pass ${streamSeconds.toFixed(1)} s; tfjs backend ${backend}; model ${classifier.version}`);
console.log(`load average (1/5/15 min) at start: ${load.map((x) => x.toFixed(2)).join(' ')}, at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}; total ${((performance.now() - started) / 1000).toFixed(0)} s`);
