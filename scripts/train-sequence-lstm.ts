/**
 * Trains the sequence LSTM of features 85-89 on the Cowrie honeypot logs and writes
 * models/sequence-lstm/ (model.json + weights.bin in the tfjs layers format, manifest.json).
 *
 *   npx tsx scripts/train-sequence-lstm.ts [--data ../shared/data/cowrie] [--out models/sequence-lstm]
 *                                          [--train-until 2018-06-18] [--epochs 12] [--seed 7]
 *
 * Task: next-event-type prediction. Each source's events, in time order, are cut into
 * episodes (EPISODE_IDLE_MS of quiet ends one); every event is one input step (see
 * sequence-encoding.ts: event type one-hot, episode start, log gap, log size), and the target
 * at each step is the type of the source's next event in the episode (the last step has none
 * and adds no loss). The hidden state that has to predict what a client does next is a
 * summary of what it has been doing, which is what features 85-89 are meant to carry.
 *
 * Data: days up to --train-until train, later days validate (and are what the replay tests
 * use). Episodes are cut into chunks of at most MAX_STEPS steps (at most
 * MAX_CHUNKS_PER_EPISODE per episode, so the few sources that flood port-forward requests do
 * not drown the rest), padded at the end to their length bucket: padding follows the real
 * steps, so it cannot change their outputs, and a padded step's target is all zeros, so its
 * cross-entropy is 0.
 *
 * After training, the plain-TypeScript step (advanceSequence) is run over every training
 * source's whole stream, as the feature group will run it, and the FEATURE_UNITS hidden units
 * of highest variance become features 85-89. The global session-duration baseline of feature
 * 93 is fitted on the same training days.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { SecurityEvent } from '../src/events/security-events.js';
import {
  advanceSequence,
  durationScale,
  encodeSequenceStep,
  EPISODE_IDLE_MS,
  initialSequenceState,
  isEpisodeStart,
  NEXT_EVENT_LAYER,
  SEQUENCE_ENCODING_VERSION,
  SEQUENCE_EVENT_TYPES,
  SEQUENCE_FEATURE_UNITS,
  SEQUENCE_INPUT_DIMS,
  SEQUENCE_INPUT_NAMES,
  SEQUENCE_LSTM_LAYER,
  SEQUENCE_MANIFEST_VERSION,
  SEQUENCE_MODEL_DIR,
  SEQUENCE_MODEL_FILES,
  sequenceEventType,
  sha256Hex,
  type LstmWeights,
  type SequenceModelManifest,
} from '../src/features/behavioral/index.js';
import { initBackend } from '../src/inference/backend.js';
import { serializeModel, writeAtomic } from '../src/inference/model-store.js';
import { PACKAGE_ROOT } from '../src/paths.js';
import { createCowrieDecoder } from '../src/sources/cowrie-json.js';
import { mulberry32, type Rng } from '../src/training/rng.js';

const UNITS = 16;
const MAX_STEPS = 64;
const MAX_CHUNKS_PER_EPISODE = 4;
const BUCKETS = [8, 16, 32, 64];
const BATCH = 64;
const LEARNING_RATE = 0.01;
const TYPES = SEQUENCE_EVENT_TYPES.length;

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: resolve(PACKAGE_ROOT, '../shared/data/cowrie') },
    out: { type: 'string', default: SEQUENCE_MODEL_DIR },
    'train-until': { type: 'string', default: '2018-06-18' },
    epochs: { type: 'string', default: '12' },
    seed: { type: 'string', default: '7' },
  },
});
const epochs = Number(args.epochs);
const seed = Number(args.seed);

/** The decoded events of each day file, by the date in its name (cowrie.json.YYYY-MM-DD). */
function readDays(dir: string): Map<string, SecurityEvent[]> {
  const days = new Map<string, SecurityEvent[]>();
  let bad = 0;
  for (const file of readdirSync(dir).filter((f) => /^cowrie\.json\.\d{4}-\d{2}-\d{2}$/.test(f)).sort()) {
    const decoder = createCowrieDecoder();
    const events: SecurityEvent[] = [];
    readFileSync(join(dir, file), 'utf8').split('\n').forEach((text, i) => {
      if (text.trim() === '') return;
      const d = decoder.decode({ position: { kind: 'file', file, line: i + 1 }, text, byteLength: Buffer.byteLength(text), readAt: 0 });
      if (d.ok) events.push(d.value);
      else bad += 1;
    });
    days.set(file.slice(-10), events);
  }
  if (bad > 0) console.log(`${bad} undecodable lines skipped`);
  return days;
}

/** Each source's events in time order (stable for ties: file order). */
function bySource(events: readonly SecurityEvent[]): SecurityEvent[][] {
  const map = new Map<string, SecurityEvent[]>();
  for (const e of events) {
    const list = map.get(e.srcIp);
    if (list) list.push(e);
    else map.set(e.srcIp, [e]);
  }
  return [...map.values()].map((list) => list.map((e, i) => ({ e, i })).sort((a, b) => a.e.ts - b.e.ts || a.i - b.i).map((x) => x.e));
}

interface Chunk {
  x: number[][];
  /** Next event type per step; -1 where there is none. */
  y: number[];
}

/** Episodes of one source's stream, as encoded steps with next-type targets, cut into chunks. */
function chunksOf(stream: readonly SecurityEvent[]): Chunk[] {
  const chunks: Chunk[] = [];
  let episode: Chunk = { x: [], y: [] };
  const flush = () => {
    for (let at = 0, n = 0; at < episode.x.length && n < MAX_CHUNKS_PER_EPISODE; at += MAX_STEPS, n++) {
      const y = episode.y.slice(at, at + MAX_STEPS);
      if (y.some((t) => t >= 0)) chunks.push({ x: episode.x.slice(at, at + MAX_STEPS), y });
    }
    episode = { x: [], y: [] };
  };
  let lastTs: number | null = null;
  for (const e of stream) {
    if (isEpisodeStart(lastTs, e.ts)) flush();
    else episode.y[episode.y.length - 1] = sequenceEventType(e);
    episode.x.push(encodeSequenceStep(e, lastTs));
    episode.y.push(-1);
    lastTs = lastTs === null ? e.ts : Math.max(lastTs, e.ts);
  }
  flush();
  return chunks;
}

interface Batch {
  x: tf.Tensor3D;
  y: tf.Tensor3D;
  chunks: Chunk[];
  steps: number;
}

function toBatches(chunks: Chunk[], rng: Rng): Batch[] {
  const batches: Batch[] = [];
  for (const steps of BUCKETS) {
    const lower = BUCKETS[BUCKETS.indexOf(steps) - 1] ?? 0;
    const members = chunks.filter((c) => c.x.length > lower && c.x.length <= steps);
    for (let i = members.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    for (let at = 0; at < members.length; at += BATCH) {
      const part = members.slice(at, at + BATCH);
      const x = new Float32Array(part.length * steps * SEQUENCE_INPUT_DIMS);
      const y = new Float32Array(part.length * steps * TYPES);
      part.forEach((c, b) => {
        c.x.forEach((row, t) => x.set(row, (b * steps + t) * SEQUENCE_INPUT_DIMS));
        c.y.forEach((type, t) => {
          if (type >= 0) y[(b * steps + t) * TYPES + type] = 1;
        });
      });
      batches.push({ x: tf.tensor3d(x, [part.length, steps, SEQUENCE_INPUT_DIMS]), y: tf.tensor3d(y, [part.length, steps, TYPES]), chunks: part, steps });
    }
  }
  return batches;
}

function buildModel(): tf.LayersModel {
  const model = tf.sequential();
  model.add(
    tf.layers.lstm({
      name: SEQUENCE_LSTM_LAYER,
      units: UNITS,
      inputShape: [null, SEQUENCE_INPUT_DIMS],
      returnSequences: true,
      activation: 'tanh',
      recurrentActivation: 'sigmoid',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      recurrentInitializer: tf.initializers.orthogonal({ seed: seed + 1 }),
    }),
  );
  model.add(
    tf.layers.timeDistributed({
      name: NEXT_EVENT_LAYER,
      layer: tf.layers.dense({ units: TYPES, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }),
    }),
  );
  model.compile({ optimizer: tf.train.adam(LEARNING_RATE), loss: 'categoricalCrossentropy' });
  return model;
}

/** Mean cross-entropy (nats) and accuracy over the steps that have a target. */
function evaluate(model: tf.LayersModel, batches: readonly Batch[]): { loss: number; accuracy: number; steps: number } {
  let loss = 0;
  let hits = 0;
  let n = 0;
  for (const b of batches) {
    const p = tf.tidy(() => model.predict(b.x) as tf.Tensor3D).arraySync() as number[][][];
    b.chunks.forEach((c, i) =>
      c.y.forEach((type, t) => {
        if (type < 0) return;
        const probs = p[i]![t]!;
        loss -= Math.log(Math.max(probs[type]!, 1e-7));
        if (probs.indexOf(Math.max(...probs)) === type) hits += 1;
        n += 1;
      }),
    );
  }
  return { loss: loss / n, accuracy: hits / n, steps: n };
}

/** Accuracy of two baselines: the commonest next type, and the commonest next type after each type. */
function baselines(train: readonly Chunk[], validation: readonly Chunk[]): { majority: number; bigram: number } {
  const counts = Array.from({ length: TYPES }, () => new Array<number>(TYPES).fill(0));
  const overall = new Array<number>(TYPES).fill(0);
  const current = (c: Chunk, t: number) => c.x[t]!.slice(0, TYPES).indexOf(1);
  for (const c of train) c.y.forEach((type, t) => type >= 0 && (counts[current(c, t)]![type]! += 1, overall[type]! += 1));
  const argmax = (xs: number[]) => xs.indexOf(Math.max(...xs));
  const majority = argmax(overall);
  let m = 0;
  let g = 0;
  let n = 0;
  for (const c of validation) {
    c.y.forEach((type, t) => {
      if (type < 0) return;
      n += 1;
      if (type === majority) m += 1;
      if (type === argmax(counts[current(c, t)]!)) g += 1;
    });
  }
  return { majority: m / n, bigram: g / n };
}

function lstmWeightsOf(model: tf.LayersModel): LstmWeights {
  const [kernel, recurrentKernel, bias] = model.getLayer(SEQUENCE_LSTM_LAYER).getWeights().map((w) => Float64Array.from(w.dataSync()));
  return { inputDims: SEQUENCE_INPUT_DIMS, units: UNITS, kernel: kernel!, recurrentKernel: recurrentKernel!, bias: bias! };
}

/** Variance of each hidden unit over every event of the given streams, stepped as the group does. */
function hiddenVariance(lstm: LstmWeights, streams: readonly SecurityEvent[][]): number[] {
  const sum = new Array<number>(UNITS).fill(0);
  const sumSq = new Array<number>(UNITS).fill(0);
  let n = 0;
  for (const stream of streams) {
    let state = initialSequenceState(UNITS);
    for (const e of stream) {
      state = advanceSequence(lstm, state, e);
      state.h.forEach((v, u) => {
        sum[u]! += v;
        sumSq[u]! += v * v;
      });
      n += 1;
    }
  }
  return sum.map((s, u) => sumSq[u]! / n - (s / n) ** 2);
}

function durationBaseline(events: readonly SecurityEvent[]) {
  const xs = events.flatMap((e) => (e.kind === 'session' && e.phase === 'closed' && e.durationMs !== null ? [durationScale(e.durationMs)] : []));
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, std, count: xs.length };
}


const round = (v: number, digits = 4) => Number(v.toFixed(digits));

async function main(): Promise<void> {
  const backend = await initBackend();
  const days = readDays(args.data!);
  const trainDays = [...days.keys()].filter((d) => d <= args['train-until']!);
  const validationDays = [...days.keys()].filter((d) => d > args['train-until']!);
  const trainEvents = trainDays.flatMap((d) => days.get(d)!);
  const validationEvents = validationDays.flatMap((d) => days.get(d)!);
  const trainStreams = bySource(trainEvents);
  const trainChunks = trainStreams.flatMap(chunksOf);
  const validationChunks = bySource(validationEvents).flatMap(chunksOf);
  console.log(
    `${backend}: train ${trainDays.length} days, ${trainEvents.length} events, ${trainChunks.length} chunks; ` +
      `validation ${validationDays.length} days, ${validationEvents.length} events, ${validationChunks.length} chunks`,
  );

  const rng = mulberry32(seed);
  const validationBatches = toBatches(validationChunks, rng);
  const model = buildModel();
  const started = performance.now();
  let best = { epoch: 0, loss: Infinity, accuracy: 0 };
  let bestWeights: tf.Tensor[] = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const batches = toBatches(trainChunks, rng);
    for (let i = batches.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [batches[i], batches[j]] = [batches[j]!, batches[i]!];
    }
    let trainLoss = 0;
    for (const b of batches) trainLoss += (await model.trainOnBatch(b.x, b.y)) as number;
    for (const b of batches) tf.dispose([b.x, b.y]);
    const v = evaluate(model, validationBatches);
    console.log(`epoch ${epoch}: train loss ${(trainLoss / batches.length).toFixed(4)}, validation loss ${v.loss.toFixed(4)} accuracy ${v.accuracy.toFixed(4)} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    if (v.loss < best.loss) {
      best = { epoch, loss: v.loss, accuracy: v.accuracy };
      tf.dispose(bestWeights);
      // EarlyStopping's restoreBestWeights is not implemented in tfjs: keep copies.
      bestWeights = model.getWeights().map((w) => w.clone());
    }
  }
  const trainSeconds = (performance.now() - started) / 1000;
  model.setWeights(bestWeights);
  const base = baselines(trainChunks, validationChunks);
  console.log(`best epoch ${best.epoch}: validation accuracy ${best.accuracy.toFixed(4)} (majority ${base.majority.toFixed(4)}, bigram ${base.bigram.toFixed(4)})`);

  const lstm = lstmWeightsOf(model);
  const variance = hiddenVariance(lstm, trainStreams);
  const featureUnits = variance
    .map((v, u) => ({ v, u }))
    .sort((a, b) => b.v - a.v)
    .slice(0, SEQUENCE_FEATURE_UNITS)
    .map((x) => x.u);
  console.log(`feature units ${featureUnits.join(', ')} (variance ${featureUnits.map((u) => variance[u]!.toFixed(4)).join(', ')})`);

  const { json: modelJson, weights } = await serializeModel(model, SEQUENCE_MODEL_FILES.weights);
  const files = { [SEQUENCE_MODEL_FILES.topology]: sha256Hex(modelJson), [SEQUENCE_MODEL_FILES.weights]: sha256Hex(weights) };
  const createdAt = new Date();
  const manifest: SequenceModelManifest = {
    manifestVersion: SEQUENCE_MANIFEST_VERSION,
    kind: 'sequence-lstm',
    version: `${createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${files[SEQUENCE_MODEL_FILES.weights]!.slice(0, 8)}`,
    createdAt: createdAt.toISOString(),
    encoding: { version: SEQUENCE_ENCODING_VERSION, eventTypes: [...SEQUENCE_EVENT_TYPES], inputs: [...SEQUENCE_INPUT_NAMES], episodeIdleMs: EPISODE_IDLE_MS },
    units: UNITS,
    featureUnits,
    hiddenVariance: variance.map((v) => round(v, 6)),
    sessionDurationBaseline: durationBaseline(trainEvents),
    training: {
      task: 'next event type of the source, per step (softmax over encoding.eventTypes)',
      data: 'kareiva/cowrie-logs (commit 0d0d31d0), ../shared/data/cowrie',
      trainDays: [trainDays[0], trainDays.at(-1)],
      validationDays: [validationDays[0], validationDays.at(-1)],
      trainEvents: trainEvents.length,
      trainChunks: trainChunks.length,
      validationChunks: validationChunks.length,
      maxSteps: MAX_STEPS,
      maxChunksPerEpisode: MAX_CHUNKS_PER_EPISODE,
      batchSize: BATCH,
      learningRate: LEARNING_RATE,
      epochs,
      bestEpoch: best.epoch,
      seed,
      backend,
      trainSeconds: round(trainSeconds, 1),
      parameters: model.countParams(),
    },
    metrics: {
      validationLoss: round(best.loss),
      validationAccuracy: round(best.accuracy),
      majorityBaselineAccuracy: round(base.majority),
      bigramBaselineAccuracy: round(base.bigram),
    },
    files,
  };
  const out = resolve(args.out!);
  await mkdir(out, { recursive: true });
  await writeAtomic(join(out, SEQUENCE_MODEL_FILES.topology), modelJson);
  await writeAtomic(join(out, SEQUENCE_MODEL_FILES.weights), weights);
  // Last, so a directory without a manifest is visibly incomplete.
  await writeAtomic(join(out, SEQUENCE_MODEL_FILES.manifest), JSON.stringify(manifest, null, 2) + '\n');
  console.log(`wrote ${out} (${weights.byteLength} bytes of weights, ${model.countParams()} parameters, trained in ${trainSeconds.toFixed(0)} s)`);
}

await main();
