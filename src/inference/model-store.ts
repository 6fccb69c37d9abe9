import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../errors/vigil-error.js';
import { THREAT_CLASSES } from '../events/threat-classes.js';
import { featureLayouts, type FeatureLayout } from '../features/registry.js';
import { outputDims, transformParamsProblem, type TransformParams } from '../vector/transform.js';
import { initBackend } from './backend.js';

/**
 * The feature version a model is trained on unless told otherwise, and the one the detect and
 * serve topologies compute (flow-v1, per flow, no state). A model of another known version
 * (features/registry.ts) loads too; what scores it must give it that version's vectors.
 */
export const FEATURE_VERSION = 1;
export const MANIFEST_VERSION = 1;

export const MODEL_FILES = { topology: 'model.json', weights: 'weights.bin', transform: 'transform.json', manifest: 'manifest.json' } as const;

export interface ModelManifest {
  manifestVersion: number;
  /** The model's version name (models/<version>/ in the registry). */
  version: string;
  createdAt: string;
  featureVersion: number;
  featureLayout: string;
  dims: number;
  classes: string[];
  trainingConfig: Record<string, unknown>;
  metrics: Record<string, unknown>;
  /** sha256 (hex) of every other file of the directory, by file name. */
  files: Record<string, string>;
}

export interface SaveModelInput {
  model: tf.LayersModel;
  transform: TransformParams;
  /** The feature version of the rows it was trained on (default FEATURE_VERSION). */
  featureVersion?: number;
  /** Defaults to a UTC timestamp plus the first 8 hex digits of the weights' sha256. */
  version?: string;
  trainingConfig?: object;
  metrics?: object;
  createdAt?: Date;
}

export interface LoadedModel {
  model: tf.LayersModel;
  transform: TransformParams;
  manifest: ModelManifest;
}

export const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

function defaultVersion(createdAt: Date, weightsSha: string): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${weightsSha.slice(0, 8)}`;
}

/** Writes through a temp name so a crash never leaves a half-written file under the real one. */
export async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** A model's topology and weights in memory (file:// saving needs tfjs-node). */
export async function captureArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  // file:// saving needs tfjs-node; a save handler gets the artifacts in memory instead.
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (!captured?.modelTopology || !captured.weightSpecs || !captured.weightData) throw new ModelError('model.save produced no topology or weights');
  return captured;
}

/**
 * A model as the two files of the tfjs layers format: model.json text (naming `weightsFile`
 * as its one weights path, so tfjs-node's file:// loader reads it too) and the weights bytes.
 */
export async function serializeModel(model: tf.LayersModel, weightsFile: string): Promise<{ json: string; weights: Uint8Array }> {
  const artifacts = await captureArtifacts(model);
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData!));
  const json = JSON.stringify({
    modelTopology: artifacts.modelTopology,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [`./${weightsFile}`], weights: artifacts.weightSpecs }],
  });
  return { json, weights };
}

/**
 * The layout of a known feature version; ModelError naming `what` for any other, since the
 * version comes from a file (a manifest) or a caller's option, not from this build.
 */
export function modelFeatureLayout(featureVersion: unknown, what: string): FeatureLayout {
  const layout = featureLayouts().find((l) => l.version === featureVersion);
  if (!layout) {
    const known = featureLayouts().map((l) => `${l.version} (${l.name})`).join(', ');
    throw new ModelError(`${what} was trained on feature version ${String(featureVersion)}; this build knows ${known}: retrain it with \`vigil train\``);
  }
  return layout;
}

/** The manifest of a flow model of feature version `featureVersion` (default 1), whatever its architecture. */
export function flowModelManifest(m: { version: string; createdAt: Date; featureVersion?: number | undefined; trainingConfig?: object | undefined; metrics?: object | undefined; files: Record<string, string> }): ModelManifest {
  const layout = modelFeatureLayout(m.featureVersion ?? FEATURE_VERSION, `model ${m.version}`);
  return {
    manifestVersion: MANIFEST_VERSION,
    version: m.version,
    createdAt: m.createdAt.toISOString(),
    featureVersion: layout.version,
    featureLayout: layout.name,
    dims: layout.dims,
    classes: [...THREAT_CLASSES],
    trainingConfig: { ...(m.trainingConfig ?? {}) },
    metrics: { ...(m.metrics ?? {}) },
    files: m.files,
  };
}

/**
 * Saves a trained model into `dir` (created if needed): model.json (tfjs layers format, so
 * tfjs-node's file:// loader reads it too), weights.bin, transform.json and, last,
 * manifest.json with the sha256 of the others. The manifest is written last so a directory
 * without one is visibly incomplete.
 */
export async function saveModel(dir: string, input: SaveModelInput): Promise<ModelManifest> {
  const layout = modelFeatureLayout(input.featureVersion ?? FEATURE_VERSION, 'the model to save');
  const problem = transformParamsProblem(input.transform, layout.dims);
  if (problem) throw new ModelError(`refusing to save: transform ${problem}`);
  const { json: modelJson, weights } = await serializeModel(input.model, MODEL_FILES.weights);
  const transformJson = JSON.stringify(input.transform, null, 2);
  const files: Record<string, string> = {
    [MODEL_FILES.topology]: sha256(modelJson),
    [MODEL_FILES.weights]: sha256(weights),
    [MODEL_FILES.transform]: sha256(transformJson),
  };
  const createdAt = input.createdAt ?? new Date();
  const version = input.version ?? defaultVersion(createdAt, files[MODEL_FILES.weights]!);
  const manifest = flowModelManifest({ version, createdAt, featureVersion: layout.version, trainingConfig: input.trainingConfig, metrics: input.metrics, files });
  await mkdir(dir, { recursive: true });
  await writeAtomic(join(dir, MODEL_FILES.topology), modelJson);
  await writeAtomic(join(dir, MODEL_FILES.weights), weights);
  await writeAtomic(join(dir, MODEL_FILES.transform), transformJson);
  await writeAtomic(join(dir, MODEL_FILES.manifest), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

async function readOrThrow(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ModelError(`cannot read ${what} ${path}: ${(err as Error).message}`, { cause: err });
  }
}

export function parseJson(text: Buffer | string, what: string): unknown {
  try {
    return JSON.parse(text.toString());
  } catch (err) {
    throw new ModelError(`${what} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Reads and checks manifest.json: that it is one, and that this build can use the model. */
export async function readManifest(dir: string): Promise<ModelManifest> {
  const path = join(dir, MODEL_FILES.manifest);
  const m = parseJson(await readOrThrow(path, 'model manifest'), path) as Partial<ModelManifest> | null;
  if (typeof m !== 'object' || m === null || typeof m.version !== 'string' || typeof m.files !== 'object' || m.files === null) {
    throw new ModelError(`${path} is not a vigil model manifest (no version or files)`);
  }
  const name = `model ${m.version} (${dir})`;
  const layout = modelFeatureLayout(m.featureVersion, name);
  if (m.featureLayout !== layout.name) {
    throw new ModelError(
      `${name} was trained on feature version ${String(m.featureVersion)} (${String(m.featureLayout)}); in this build feature version ` +
        `${layout.version} is ${layout.name}: retrain it with \`vigil train\``,
    );
  }
  if (m.dims !== layout.dims) throw new ModelError(`${name} takes ${String(m.dims)} features; feature version ${layout.version} (${layout.name}) has ${layout.dims}`);
  const classes = Array.isArray(m.classes) ? m.classes : [];
  if (classes.length !== THREAT_CLASSES.length || classes.some((c, i) => c !== THREAT_CLASSES[i])) {
    throw new ModelError(`${name} predicts classes [${classes.join(', ')}]; this build expects [${THREAT_CLASSES.join(', ')}] in that order`);
  }
  return m as ModelManifest;
}

/** Every file named in the manifest, read and checked against its sha256. */
export async function readVerified(dir: string, manifest: ModelManifest): Promise<Map<string, Buffer>> {
  const name = `model ${manifest.version} (${dir})`;
  for (const required of [MODEL_FILES.topology, MODEL_FILES.weights, MODEL_FILES.transform]) {
    if (typeof manifest.files[required] !== 'string') throw new ModelError(`${name}: manifest lists no sha256 for ${required}`);
  }
  const contents = new Map<string, Buffer>();
  for (const [file, expected] of Object.entries(manifest.files)) {
    // Names only: a manifest must not make vigil read outside its own directory.
    if (!/^[\w][\w.-]*$/.test(file)) throw new ModelError(`${name}: manifest names an invalid file ${JSON.stringify(file)}`);
    const data = await readOrThrow(join(dir, file), `${name} file`);
    if (sha256(data) !== expected) {
      throw new ModelError(`${name}: ${file} does not match its sha256 in manifest.json (corrupt or modified); retrain or restore the model`);
    }
    contents.set(file, data);
  }
  return contents;
}

/**
 * Loads a model directory written by saveModel, refusing (ModelError) a directory that is
 * incomplete, corrupt (any sha256 mismatch), or made for other features or classes.
 */
export async function loadModel(dir: string): Promise<LoadedModel> {
  const manifest = await readManifest(dir);
  const files = await readVerified(dir, manifest);
  const name = `model ${manifest.version} (${dir})`;
  const transform = parseJson(files.get(MODEL_FILES.transform)!, `${name} ${MODEL_FILES.transform}`);
  const problem = transformParamsProblem(transform, manifest.dims);
  if (problem) throw new ModelError(`${name}: ${MODEL_FILES.transform}: ${problem}`);
  const model = await deserializeModel(name, MODEL_FILES.topology, files.get(MODEL_FILES.topology)!, files.get(MODEL_FILES.weights)!);
  const inShape = model.inputs[0]?.shape;
  const outShape = model.outputs[0]?.shape;
  const width = outputDims(transform as TransformParams);
  if (model.inputs.length !== 1 || inShape?.[1] !== width || outShape?.[1] !== THREAT_CLASSES.length) {
    model.dispose();
    throw new ModelError(`${name}: network maps [${String(inShape)}] to [${String(outShape)}], expected [,${width}] to [,${THREAT_CLASSES.length}]`);
  }
  return { model, transform: transform as TransformParams, manifest };
}

/**
 * A tfjs layers model from its verified model.json and weights bytes (see serializeModel);
 * ModelError, naming `name` and the file, when they are not one single-file model tfjs loads.
 */
export async function deserializeModel(name: string, topologyFile: string, topologyData: Buffer, weights: Buffer): Promise<tf.LayersModel> {
  const topology = parseJson(topologyData, `${name} ${topologyFile}`) as Partial<tf.io.ModelJSON>;
  const group = topology.weightsManifest?.[0];
  if (!topology.modelTopology || topology.weightsManifest?.length !== 1 || !group || group.paths.length !== 1) {
    throw new ModelError(`${name}: ${topologyFile} is not a single-file tfjs layers model`);
  }
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  await initBackend();
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology.modelTopology, weightSpecs: group.weights, weightData }));
  } catch (err) {
    throw new ModelError(`${name}: tfjs cannot load ${topologyFile}: ${(err as Error).message}`, { cause: err });
  }
}
