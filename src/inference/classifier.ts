import * as tf from '@tensorflow/tfjs';
import { outputDims, type TransformParams } from '../vector/transform.js';
import { ModelError } from '../errors/vigil-error.js';
import { loadModel } from './model-store.js';
import { ModelInput } from './model-input.js';

/**
 * Class probabilities for a flat n×dims matrix that is already transformed, in chunks so a
 * whole evaluation set never becomes one huge tensor. Shared by training (validation) and
 * scoring so both run the same forward pass.
 */
export function predictProbabilities(model: tf.LayersModel, xT: Float32Array, n: number, dims: number, chunk = 8192): Float32Array {
  if (xT.length < n * dims) throw new RangeError(`matrix of ${xT.length} values holds fewer than ${n} rows of ${dims}`);
  const k = (model.outputs[0]!.shape[1] as number | null) ?? 0;
  const out = new Float32Array(n * k);
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    const probs = tf.tidy(() => {
      const x = tf.tensor2d(xT.subarray(start * dims, (start + rows) * dims), [rows, dims]);
      return model.apply(x, { training: false }) as tf.Tensor;
    });
    // Read outside tidy: tidy would walk every element of a returned typed array.
    out.set(probs.dataSync(), start * k);
    probs.dispose();
  }
  return out;
}

/** Row-wise arg-max of an n×k probability matrix. */
export function argMaxRows(probs: Float32Array, n: number, k: number): Int32Array {
  const predicted = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const base = r * k;
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[base + c]! > probs[base + best]!) best = c;
    predicted[r] = best;
  }
  return predicted;
}

export interface ClassifierInfo {
  version: string;
  featureVersion: number;
  classes: readonly string[];
}

export interface Prediction {
  /** n×classes probabilities, row-major. */
  probs: Float32Array;
  /** Decided class index per row (arg-max, or the model's tuned decision rule). */
  predicted: Int32Array;
}

/**
 * What scoring needs of a flow model, whatever its architecture (one MLP, or an ensemble in
 * ../ensemble/): raw sanitized vectors in, class probabilities and decided classes out.
 */
export interface FlowClassifier {
  readonly version: string;
  readonly featureVersion: number;
  readonly classes: readonly string[];
  /** Raw inputs per row (79 for flow v1). */
  readonly dims: number;
  /** Scores `n` rows of `xRaw` (flat n×dims, raw sanitized, NaN = missing). */
  predictBatch(xRaw: Float32Array, n: number): Prediction;
  /** One throw-away forward pass, so the first real batch does not pay for kernel set-up. */
  warmUp(): void;
  dispose(): void;
}

/**
 * What every FlowClassifier over a fitted transform shares, one MLP or an ensemble: its
 * identity, the transformed input rows (refused once disposed), the warm-up, and a dispose
 * that releases its networks once.
 */
export abstract class TransformedClassifier implements FlowClassifier {
  readonly version: string;
  readonly featureVersion: number;
  readonly classes: readonly string[];
  /** Raw inputs per row (79 for flow v1). */
  readonly dims: number;
  readonly #input: ModelInput;
  #disposed = false;

  constructor(transform: TransformParams, info: ClassifierInfo) {
    this.version = info.version;
    this.featureVersion = info.featureVersion;
    this.classes = info.classes;
    this.dims = transform.dims;
    this.#input = new ModelInput(transform, transform.dims, outputDims(transform));
  }

  abstract predictBatch(xRaw: Float32Array, n: number): Prediction;

  /** One throw-away forward pass, so the first real batch does not pay for kernel set-up. */
  warmUp(): void {
    this.predictBatch(new Float32Array(this.dims), 1);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.releaseNetworks();
  }

  protected abstract releaseNetworks(): void;

  /** Model inputs per row (the transform's output). */
  protected get inputWidth(): number {
    return this.#input.width;
  }

  /** `n` rows of `xRaw` through the transform, as the networks take them. */
  protected transformedRows(xRaw: Float32Array, n: number): Float32Array {
    if (this.#disposed) throw new Error(`model ${this.version} is disposed`);
    return this.#input.rows(xRaw, n);
  }
}

/** A loaded flow model and its fitted transform: raw sanitized vectors in, class probabilities out. */
export class Classifier extends TransformedClassifier {
  readonly #outputs: number;

  constructor(
    private readonly model: tf.LayersModel,
    transform: TransformParams,
    info: ClassifierInfo,
  ) {
    super(transform, info);
    this.#outputs = (model.outputs[0]!.shape[1] as number | null) ?? 0;
  }

  /** Scores `n` rows of `xRaw` (flat n×dims, raw sanitized, NaN = missing). */
  predictBatch(xRaw: Float32Array, n: number): Prediction {
    const probs = predictProbabilities(this.model, this.transformedRows(xRaw, n), n, this.inputWidth);
    return { probs, predicted: argMaxRows(probs, n, this.#outputs) };
  }

  protected releaseNetworks(): void {
    this.model.dispose();
  }
}

/**
 * Loads a saved single-model directory (see model-store.ts) as a Classifier; ModelError if
 * unusable. An ensemble directory is refused rather than served as its general model alone
 * under the ensemble's version: load it with ../ensemble/load-flow-classifier.ts.
 */
export async function loadClassifier(dir: string): Promise<Classifier> {
  const { model, transform, manifest } = await loadModel(dir);
  const architecture = (manifest as { architecture?: unknown }).architecture;
  if (architecture !== undefined) {
    model.dispose();
    throw new ModelError(`model ${manifest.version} (${dir}) is an ${String(architecture)}, not a single network: load it with loadFlowClassifier`);
  }
  return new Classifier(model, transform, {
    version: manifest.version,
    featureVersion: manifest.featureVersion,
    classes: manifest.classes,
  });
}
