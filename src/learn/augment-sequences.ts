/**
 * Augmentation of sequence inputs (Um et al., "Data augmentation of wearable sensor data for
 * Parkinson's disease monitoring using convolutional neural networks", ICMI 2017): jitter,
 * scaling and segment permutation. Each function is pure: it returns new sequences and leaves
 * its input alone. Sequence i draws from its own stream derived from (seed, i), so its result
 * does not depend on the other sequences of the batch.
 *
 * Shape: a sequence is a flat, time-major Float32Array of T×dims values, step t at
 * [t·dims, (t+1)·dims); sequences of one batch share `dims` and may differ in T.
 *
 * Um et al.'s "rotation" turns 3-axis sensor readings in space; flow features have no such
 * geometry, so only their permutation (shuffled time segments) is offered.
 */
import { ConfigError } from '../errors/vigil-error.js';
import { shuffleInPlace } from '../training/rng.js';
import { gaussian, randomIndex, streamRng, type Rng } from './rng.js';

export interface SequenceBatch {
  sequences: readonly Float32Array[];
  /** Features per time step. */
  dims: number;
}

export interface JitterOptions {
  /** Std of the Gaussian noise added to every value (features are standardised: unit scale). */
  sigma?: number;
  seed?: number;
}

export interface ScalingOptions {
  /** Std of the per-feature factor, drawn from N(1, sigma) once per sequence. */
  sigma?: number;
  seed?: number;
}

export interface PermutationOptions {
  /** Segments the time axis is cut into, at random points, before they are shuffled. */
  segments?: number;
  /** Fewest steps in a segment. A sequence too short for `segments` of them gets fewer. */
  minSegmentLength?: number;
  seed?: number;
}

export const JITTER_DEFAULTS: Readonly<Required<JitterOptions>> = Object.freeze({ sigma: 0.05, seed: 0 });
export const SCALING_DEFAULTS: Readonly<Required<ScalingOptions>> = Object.freeze({ sigma: 0.1, seed: 0 });
export const PERMUTATION_DEFAULTS: Readonly<Required<PermutationOptions>> = Object.freeze({ segments: 4, minSegmentLength: 1, seed: 0 });

/** Random streams per transform, so that jitter and scaling with one seed are not correlated. */
const STREAM = { jitter: 1, scaling: 2, permutation: 3 } as const;

/** Adds N(0, sigma²) noise to every value. */
export function jitterSequences(batch: SequenceBatch, options: JitterOptions = {}): Float32Array[] {
  const sigma = options.sigma ?? JITTER_DEFAULTS.sigma;
  const seed = options.seed ?? JITTER_DEFAULTS.seed;
  checkSigma('jitter', sigma);
  return mapSequences(batch, seed, STREAM.jitter, (seq, rng) => seq.map((v) => v + sigma * gaussian(rng)));
}

/** Multiplies each feature, at every step, by one factor ~ N(1, sigma²) per sequence. */
export function scaleSequences(batch: SequenceBatch, options: ScalingOptions = {}): Float32Array[] {
  const sigma = options.sigma ?? SCALING_DEFAULTS.sigma;
  const seed = options.seed ?? SCALING_DEFAULTS.seed;
  checkSigma('scaling', sigma);
  const { dims } = batch;
  return mapSequences(batch, seed, STREAM.scaling, (seq, rng) => {
    const factors = Float64Array.from({ length: dims }, () => 1 + sigma * gaussian(rng));
    return seq.map((v, i) => v * factors[i % dims]!);
  });
}

/**
 * Cuts the time axis into `segments` contiguous segments at random points (each at least
 * `minSegmentLength` steps) and concatenates them in a random order. Steps stay whole and
 * keep their order within a segment; the shuffle may leave the order as it was.
 */
export function permuteSegments(batch: SequenceBatch, options: PermutationOptions = {}): Float32Array[] {
  const segments = options.segments ?? PERMUTATION_DEFAULTS.segments;
  const minSegmentLength = options.minSegmentLength ?? PERMUTATION_DEFAULTS.minSegmentLength;
  const seed = options.seed ?? PERMUTATION_DEFAULTS.seed;
  if (!Number.isInteger(segments) || segments < 1) throw new ConfigError(`permutation: segments must be a whole number >= 1, got ${segments}`);
  if (!Number.isInteger(minSegmentLength) || minSegmentLength < 1) {
    throw new ConfigError(`permutation: minSegmentLength must be a whole number >= 1, got ${minSegmentLength}`);
  }
  const { dims } = batch;
  return mapSequences(batch, seed, STREAM.permutation, (seq, rng) => {
    const steps = seq.length / dims;
    const bounds = segmentBounds(steps, Math.max(1, Math.min(segments, Math.floor(steps / minSegmentLength))), minSegmentLength, rng);
    const order = shuffleInPlace(Int32Array.from({ length: bounds.length - 1 }, (_, i) => i), rng);
    const out = new Float32Array(seq.length);
    let at = 0;
    for (const s of order) {
      const piece = seq.subarray(bounds[s]! * dims, bounds[s + 1]! * dims);
      out.set(piece, at);
      at += piece.length;
    }
    return out;
  });
}

/**
 * Boundaries 0 = b_0 < … < b_m = steps of m segments of at least `minLength` steps: the
 * slack beyond m·minLength is cut at m − 1 uniform random points ("stars and bars").
 */
function segmentBounds(steps: number, m: number, minLength: number, rng: Rng): Int32Array {
  const slack = Math.max(0, steps - m * minLength);
  const cuts = Int32Array.from({ length: m - 1 }, () => randomIndex(rng, slack + 1)).sort();
  const bounds = new Int32Array(m + 1);
  for (let i = 1; i < m; i++) bounds[i] = i * minLength + cuts[i - 1]!;
  bounds[m] = steps;
  return bounds;
}

function mapSequences(batch: SequenceBatch, seed: number, stream: number, f: (seq: Float32Array, rng: Rng) => Float32Array): Float32Array[] {
  const { sequences, dims } = batch;
  if (!Number.isInteger(dims) || dims < 1) throw new RangeError(`dims must be a positive integer, got ${dims}`);
  if (!Number.isFinite(seed)) throw new ConfigError(`seed must be a finite number, got ${seed}`);
  return sequences.map((seq, i) => {
    if (seq.length % dims !== 0) throw new RangeError(`sequence ${i} holds ${seq.length} values, not a whole number of ${dims}-dim steps`);
    return f(seq, streamRng(seed, stream, i));
  });
}

function checkSigma(what: string, sigma: number): void {
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw new ConfigError(`${what}: sigma must be a finite number >= 0, got ${sigma}`);
}
