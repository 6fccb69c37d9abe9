import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelError } from '../../errors/vigil-error.js';
import { MODELS_DIR } from '../../paths.js';
import type { LstmWeights } from './lstm-cell.js';
import { EPISODE_IDLE_MS, SEQUENCE_ENCODING_VERSION, SEQUENCE_EVENT_TYPES, SEQUENCE_INPUT_NAMES } from './sequence-encoding.js';

/**
 * The behavioral model in models/sequence-lstm/: a small TF.js LSTM trained by
 * scripts/train-sequence-lstm.ts, in the tfjs layers format (model.json + weights.bin, which
 * `tf.loadLayersModel` reads), and manifest.json with the sha256 of both, the input encoding
 * it was trained on, the hidden units that become features 85-89, and the global baseline of
 * feature 93 fitted on the same training data.
 *
 * Loading needs no TF.js: the LSTM's three weight tensors are read straight out of
 * weights.bin by the offsets the weights manifest implies, and run by lstmStep.
 */
export const SEQUENCE_MODEL_DIR = join(MODELS_DIR, 'sequence-lstm');
export const SEQUENCE_MODEL_FILES = { topology: 'model.json', weights: 'weights.bin', manifest: 'manifest.json' } as const;
export const SEQUENCE_MANIFEST_VERSION = 1;
/** Layer names the training script gives, so weights are found by name. */
export const SEQUENCE_LSTM_LAYER = 'sequence_lstm';
export const NEXT_EVENT_LAYER = 'next_event';
/** Features 85-89 are this many hidden units. */
export const SEQUENCE_FEATURE_UNITS = 5;

/** Mean and standard deviation of ln(1 + session seconds) over the training sessions. */
export interface DurationBaseline {
  mean: number;
  std: number;
  count: number;
}

export interface SequenceModelManifest {
  manifestVersion: number;
  kind: 'sequence-lstm';
  version: string;
  createdAt: string;
  encoding: { version: number; eventTypes: string[]; inputs: string[]; episodeIdleMs: number };
  units: number;
  /** The hidden units that are features 85..89, in that order (highest training variance first). */
  featureUnits: number[];
  /** Variance of every hidden unit over the training events (how featureUnits were chosen). */
  hiddenVariance: number[];
  sessionDurationBaseline: DurationBaseline;
  training: Record<string, unknown>;
  metrics: Record<string, unknown>;
  /** sha256 (hex) of model.json and weights.bin. */
  files: Record<string, string>;
}

export interface SequenceModel {
  lstm: LstmWeights;
  featureUnits: readonly number[];
  sessionDurationBaseline: DurationBaseline;
  manifest: SequenceModelManifest;
}

interface WeightSpec {
  name: string;
  shape: number[];
  dtype?: string;
}

interface LayerJson {
  class_name?: string;
  config?: { name?: string; units?: number; activation?: string; recurrent_activation?: string; use_bias?: boolean };
}

export const sha256Hex = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

async function readOrThrow(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ModelError(`cannot read sequence model file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function parseJson(data: Buffer, what: string): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new ModelError(`${what} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

const sameList = (a: unknown, b: readonly unknown[]): boolean => Array.isArray(a) && a.length === b.length && a.every((v, i) => v === b[i]);

/** What is wrong with a manifest for this build's encoding, or undefined. */
function manifestProblem(m: Partial<SequenceModelManifest>): string | undefined {
  if (m.manifestVersion !== SEQUENCE_MANIFEST_VERSION || m.kind !== 'sequence-lstm') {
    return `is not a sequence-lstm manifest of version ${SEQUENCE_MANIFEST_VERSION}`;
  }
  const e = m.encoding;
  if (!e || e.version !== SEQUENCE_ENCODING_VERSION || !sameList(e.eventTypes, SEQUENCE_EVENT_TYPES) || !sameList(e.inputs, SEQUENCE_INPUT_NAMES) || e.episodeIdleMs !== EPISODE_IDLE_MS) {
    return `was trained on input encoding ${String(e?.version)}; this build encodes version ${SEQUENCE_ENCODING_VERSION} (run scripts/train-sequence-lstm.ts)`;
  }
  const units = m.units;
  if (!Number.isInteger(units) || units! < 1) return `has no unit count`;
  const f = m.featureUnits;
  if (!Array.isArray(f) || f.length !== SEQUENCE_FEATURE_UNITS || new Set(f).size !== f.length || f.some((u) => !Number.isInteger(u) || u < 0 || u >= units!)) {
    return `featureUnits must be ${SEQUENCE_FEATURE_UNITS} distinct unit indices below ${units}, got ${JSON.stringify(f)}`;
  }
  const b = m.sessionDurationBaseline;
  if (!b || !Number.isFinite(b.mean) || !(b.std > 0)) return `sessionDurationBaseline needs a finite mean and a positive std, got ${JSON.stringify(b)}`;
  if (typeof m.files !== 'object' || m.files === null) return 'lists no files';
  return undefined;
}

/** The LSTM layer's configuration must be what lstmStep computes. */
function layerProblem(topology: unknown, units: number): string | undefined {
  const layers = (topology as { config?: { layers?: LayerJson[] } } | undefined)?.config?.layers;
  const lstm = layers?.find((l) => l.config?.name === SEQUENCE_LSTM_LAYER);
  if (!lstm) return `has no layer named ${SEQUENCE_LSTM_LAYER}`;
  const c = lstm.config!;
  if (lstm.class_name !== 'LSTM' || c.activation !== 'tanh' || c.recurrent_activation !== 'sigmoid' || c.use_bias !== true || c.units !== units) {
    return `layer ${SEQUENCE_LSTM_LAYER} must be an LSTM of ${units} units with tanh, sigmoid and a bias; got ${JSON.stringify({ class: lstm.class_name, ...c })}`;
  }
  return undefined;
}

/** The named float32 tensors of a single weights file, by the specs' order and shapes. */
function readTensors(specs: WeightSpec[], data: Buffer): Map<string, { shape: number[]; values: Float64Array }> {
  const out = new Map<string, { shape: number[]; values: Float64Array }>();
  let offset = 0;
  for (const spec of specs) {
    if ((spec.dtype ?? 'float32') !== 'float32') throw new ModelError(`weight ${spec.name} is ${spec.dtype}; only float32 is read`);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (offset + size * 4 > data.byteLength) throw new ModelError(`weights.bin is ${data.byteLength} bytes, too short for ${spec.name}`);
    const values = new Float64Array(size);
    for (let i = 0; i < size; i++) values[i] = data.readFloatLE(offset + i * 4);
    out.set(spec.name, { shape: spec.shape, values });
    offset += size * 4;
  }
  if (offset !== data.byteLength) throw new ModelError(`weights.bin is ${data.byteLength} bytes; its manifest accounts for ${offset}`);
  return out;
}

/**
 * Loads models/sequence-lstm (or `dir`), refusing (ModelError) a directory that is
 * incomplete, corrupt (sha256 mismatch), or trained on another input encoding.
 */
export async function loadSequenceModel(dir: string = SEQUENCE_MODEL_DIR): Promise<SequenceModel> {
  const manifestPath = join(dir, SEQUENCE_MODEL_FILES.manifest);
  const manifest = parseJson(await readOrThrow(manifestPath), manifestPath) as Partial<SequenceModelManifest> | null;
  const problem = manifest === null || typeof manifest !== 'object' ? 'is not an object' : manifestProblem(manifest);
  if (problem) throw new ModelError(`${manifestPath} ${problem}`);
  const m = manifest as SequenceModelManifest;
  const name = `sequence model ${m.version} (${dir})`;

  const contents = new Map<string, Buffer>();
  for (const file of [SEQUENCE_MODEL_FILES.topology, SEQUENCE_MODEL_FILES.weights]) {
    const expected = m.files[file];
    if (typeof expected !== 'string') throw new ModelError(`${name}: manifest lists no sha256 for ${file}`);
    const data = await readOrThrow(join(dir, file));
    if (sha256Hex(data) !== expected) throw new ModelError(`${name}: ${file} does not match its sha256 in manifest.json (corrupt or modified); retrain or restore it`);
    contents.set(file, data);
  }

  const modelJson = parseJson(contents.get(SEQUENCE_MODEL_FILES.topology)!, `${name} model.json`) as { modelTopology?: unknown; weightsManifest?: { paths: string[]; weights: WeightSpec[] }[] };
  const layer = layerProblem(modelJson.modelTopology, m.units);
  if (layer) throw new ModelError(`${name}: ${layer}`);
  const group = modelJson.weightsManifest?.[0];
  if (modelJson.weightsManifest?.length !== 1 || !group || group.paths.length !== 1) throw new ModelError(`${name}: model.json is not a single-file tfjs layers model`);
  const tensors = readTensors(group.weights, contents.get(SEQUENCE_MODEL_FILES.weights)!);

  const u = m.units;
  const d = SEQUENCE_INPUT_NAMES.length;
  const expect = (suffix: string, shape: number[]): Float64Array => {
    const t = tensors.get(`${SEQUENCE_LSTM_LAYER}/${suffix}`);
    if (!t || !sameList(t.shape, shape)) throw new ModelError(`${name}: ${SEQUENCE_LSTM_LAYER}/${suffix} must have shape [${shape.join(', ')}], got ${t ? `[${t.shape.join(', ')}]` : 'none'}`);
    return t.values;
  };
  const lstm: LstmWeights = {
    inputDims: d,
    units: u,
    kernel: expect('kernel', [d, 4 * u]),
    recurrentKernel: expect('recurrent_kernel', [u, 4 * u]),
    bias: expect('bias', [4 * u]),
  };
  return { lstm, featureUnits: m.featureUnits, sessionDurationBaseline: m.sessionDurationBaseline, manifest: m };
}
