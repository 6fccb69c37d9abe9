/**
 * An ensemble model directory. It is a v1 model directory plus members, so everything that
 * reads v1 directories keeps working on it:
 *   model.json + weights.bin     the general model (what a v1-only loader would serve)
 *   transform.json               the transform every member shares
 *   router.json + router.bin     the router
 *   specialist-<class>.json/.bin one-vs-rest specialist per attack class
 *   ensemble.json                members, temperatures, vote weights, router threshold,
 *                                class thresholds
 *   manifest.json                written last: `architecture: "ensemble"` and the sha256 of
 *                                EVERY file above, so a corrupt member is refused on load
 *                                (model-store's readVerified checks each listed file)
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { ModelError } from '../errors/vigil-error.js';
import { THREAT_CLASSES } from '../events/threat-classes.js';
import {
  deserializeModel,
  FEATURE_VERSION,
  flowModelManifest,
  MODEL_FILES,
  modelFeatureLayout,
  parseJson,
  readManifest,
  readVerified,
  serializeModel,
  sha256,
  writeAtomic,
  type ModelManifest,
} from '../inference/model-store.js';
import { outputDims, transformParamsProblem, type TransformParams } from '../vector/transform.js';
import { FALLBACK_RULES, type CombineSettings } from './combine.js';
import { EnsembleClassifier, type CalibratedNet, type EnsembleNets } from './ensemble-classifier.js';

export const ENSEMBLE_ARCHITECTURE = 'ensemble';
export const ENSEMBLE_FILE = 'ensemble.json';
export const ENSEMBLE_FORMAT = 1;

const K = THREAT_CLASSES.length;

/** A member's files and calibration, as ensemble.json records them. */
export interface MemberEntry {
  topology: string;
  weights: string;
  temperature: number;
}

export interface EnsembleSpec {
  ensembleFormat: number;
  general: MemberEntry;
  router: MemberEntry;
  /** By attack class name. */
  specialists: Record<string, MemberEntry>;
  combine: CombineSettings;
}

export interface SaveEnsembleInput {
  nets: EnsembleNets;
  transform: TransformParams;
  settings: CombineSettings;
  version: string;
  /** The feature version of the rows it was trained on (default FEATURE_VERSION). */
  featureVersion?: number;
  trainingConfig?: object;
  metrics?: object;
  createdAt?: Date;
}

export function isEnsembleManifest(manifest: { architecture?: unknown }): boolean {
  return manifest.architecture === ENSEMBLE_ARCHITECTURE;
}

/** Writes the ensemble into `dir` (created if needed), manifest last; returns the manifest. */
export async function saveEnsemble(dir: string, input: SaveEnsembleInput): Promise<ModelManifest> {
  const layout = modelFeatureLayout(input.featureVersion ?? FEATURE_VERSION, 'the ensemble to save');
  const problem = transformParamsProblem(input.transform, layout.dims);
  if (problem) throw new ModelError(`refusing to save: transform ${problem}`);
  const contents = new Map<string, Uint8Array | string>();
  const addNet = async (net: CalibratedNet, topology: string, weights: string): Promise<MemberEntry> => {
    const files = await serializeModel(net.model, weights);
    contents.set(topology, files.json);
    contents.set(weights, files.weights);
    return { topology, weights, temperature: net.temperature };
  };
  const spec: EnsembleSpec = {
    ensembleFormat: ENSEMBLE_FORMAT,
    general: await addNet(input.nets.general, MODEL_FILES.topology, MODEL_FILES.weights),
    router: await addNet(input.nets.router, 'router.json', 'router.bin'),
    specialists: {},
    combine: input.settings,
  };
  for (let c = 1; c < K; c++) {
    const net = input.nets.specialists[c];
    const name = THREAT_CLASSES[c]!;
    if (!net) throw new ModelError(`refusing to save: no specialist for ${name}`);
    spec.specialists[name] = await addNet(net, `specialist-${name}.json`, `specialist-${name}.bin`);
  }
  contents.set(MODEL_FILES.transform, JSON.stringify(input.transform, null, 2));
  contents.set(ENSEMBLE_FILE, JSON.stringify(spec, null, 2));
  const createdAt = input.createdAt ?? new Date();
  const files = Object.fromEntries([...contents].map(([file, data]) => [file, sha256(data)]));
  const manifest = {
    ...flowModelManifest({ version: input.version, createdAt, featureVersion: layout.version, trainingConfig: input.trainingConfig, metrics: input.metrics, files }),
    kind: 'flow-classifier',
    architecture: ENSEMBLE_ARCHITECTURE,
  };
  await mkdir(dir, { recursive: true });
  for (const [file, data] of contents) await writeAtomic(join(dir, file), data);
  await writeAtomic(join(dir, MODEL_FILES.manifest), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

function checkEntry(entry: unknown, what: string, name: string, files: Map<string, Buffer>): MemberEntry {
  const e = entry as Partial<MemberEntry> | undefined;
  if (!e || typeof e.topology !== 'string' || typeof e.weights !== 'string' || !(typeof e.temperature === 'number' && e.temperature > 0)) {
    throw new ModelError(`${name}: ${ENSEMBLE_FILE} has no valid entry for ${what}`);
  }
  for (const file of [e.topology, e.weights]) {
    // Only files the manifest lists were checked against their sha256.
    if (!files.has(file)) throw new ModelError(`${name}: ${what} file ${file} is not listed in manifest.json`);
  }
  return e as MemberEntry;
}

/**
 * Loads an ensemble directory, refusing (ModelError) one whose manifest does not match this
 * build, any file that does not match its sha256, or a member of the wrong shape.
 */
export async function loadEnsemble(dir: string): Promise<EnsembleClassifier> {
  const manifest = await readManifest(dir);
  const name = `model ${manifest.version} (${dir})`;
  if (!isEnsembleManifest(manifest as ModelManifest & { architecture?: unknown })) throw new ModelError(`${name} is not an ensemble (manifest architecture)`);
  if (typeof manifest.files[ENSEMBLE_FILE] !== 'string') throw new ModelError(`${name}: manifest lists no sha256 for ${ENSEMBLE_FILE}`);
  const files = await readVerified(dir, manifest);
  const transform = parseJson(files.get(MODEL_FILES.transform)!, `${name} ${MODEL_FILES.transform}`) as TransformParams;
  const problem = transformParamsProblem(transform, manifest.dims);
  if (problem) throw new ModelError(`${name}: ${MODEL_FILES.transform}: ${problem}`);
  const spec = parseJson(files.get(ENSEMBLE_FILE)!, `${name} ${ENSEMBLE_FILE}`) as Partial<EnsembleSpec>;
  if (spec.ensembleFormat !== ENSEMBLE_FORMAT || !spec.combine || typeof spec.specialists !== 'object' || spec.specialists === null) {
    throw new ModelError(`${name}: ${ENSEMBLE_FILE} is not ensemble format ${ENSEMBLE_FORMAT}`);
  }
  // Checked here, not first at scoring: a running engine must refuse the model, not load it
  // and then fail every batch.
  const fallback = spec.combine.fallback;
  if (fallback !== undefined && !FALLBACK_RULES.includes(fallback)) {
    throw new ModelError(`${name}: ${ENSEMBLE_FILE} names fallback ${JSON.stringify(fallback)}; this build knows ${FALLBACK_RULES.join(', ')}`);
  }
  const width = outputDims(transform);
  const loaded: tf.LayersModel[] = [];
  const loadNet = async (entry: unknown, what: string, classes: number): Promise<CalibratedNet> => {
    const e = checkEntry(entry, what, name, files);
    const model = await deserializeModel(name, e.topology, files.get(e.topology)!, files.get(e.weights)!);
    loaded.push(model);
    const inShape = model.inputs[0]?.shape;
    const outShape = model.outputs[0]?.shape;
    if (model.inputs.length !== 1 || inShape?.[1] !== width || outShape?.[1] !== classes) {
      throw new ModelError(`${name}: ${what} maps [${String(inShape)}] to [${String(outShape)}], expected [,${width}] to [,${classes}]`);
    }
    return { model, temperature: e.temperature };
  };
  try {
    const general = await loadNet(spec.general, 'the general model', K);
    const router = await loadNet(spec.router, 'the router', K);
    // One at a time, so a failure leaves every loaded model in `loaded` to dispose.
    const specialists: Array<CalibratedNet | undefined> = [undefined];
    for (const c of THREAT_CLASSES.slice(1)) specialists.push(await loadNet(spec.specialists[c], `the ${c} specialist`, 2));
    const nets: EnsembleNets = { general, router, specialists };
    return new EnsembleClassifier(nets, transform, spec.combine, {
      version: manifest.version,
      featureVersion: manifest.featureVersion,
      classes: manifest.classes,
    });
  } catch (err) {
    loaded.forEach((m) => m.dispose());
    throw err;
  }
}
