/**
 * SMOTE, Synthetic Minority Over-sampling TEchnique (Chawla et al., JAIR 16, 2002), with
 * imbalanced-learn's defaults: k = 5 neighbours and the 'not majority' strategy.
 *
 * For each class that the strategy wants larger:
 *   1. pick an origin row of the class uniformly at random (with replacement);
 *   2. pick one of its k nearest rows of the SAME class uniformly at random;
 *   3. emit origin + u·(neighbour − origin), u ~ U(0, 1), labelled with the class.
 * A class the strategy wants smaller is undersampled: a uniform random subset of its rows,
 * without replacement, is kept, so that the target counts are met exactly (imbalanced-learn
 * would leave it as it is, and a share like "30% normal" would not hold).
 *
 * Fallbacks for small classes:
 *   - fewer than k + 1 rows: k' = rows − 1 neighbours, i.e. every other row of the class;
 *   - one row: there is nothing to interpolate towards. Each synthetic row is a copy of it
 *     plus Gaussian jitter with, per feature, a std of `singletonJitter` times that feature's
 *     std over the whole input. The alternative, interpolating towards rows of other classes,
 *     would place rows labelled with this class inside another class's region; exact copies
 *     would only repeat one point. The jitter is small against the unit scale of standardised
 *     features, and a feature constant over the input stays constant.
 *
 * Input rows must already be transformed (standardised, finite): distances on raw counters
 * would be dominated by the largest one. The output holds the kept input rows in input
 * order, then the synthetic rows class by class in THREAT_CLASSES order. Every random draw
 * comes from a stream derived from (seed, class, purpose), so a class's rows do not change
 * when another class's target does.
 *
 * `balanceClasses` is the shared driver; ADASYN (adasyn.ts) only chooses the origins
 * differently.
 */
import { ConfigError } from '../errors/vigil-error.js';
import { THREAT_CLASSES, type ThreatClass } from '../events/threat-classes.js';
import { rowCount, type LabelledRows } from '../training/dataset.js';
import { buildNeighbourIndex } from './neighbours.js';
import { gaussian, randomIndex, streamRng, type Rng } from './rng.js';
import { DEFAULT_STRATEGY, targetCounts, type SamplingStrategy } from './sampling-strategy.js';

export interface BalanceOptions {
  /** Same-class neighbours to interpolate towards (imbalanced-learn's k_neighbors). */
  k?: number;
  /** Target rows per class; see sampling-strategy.ts. */
  strategy?: SamplingStrategy;
  /** Seed of every random draw: the same seed, input and options give the same output. */
  seed?: number;
  /** Jitter std for a class of one row, as a fraction of each feature's std over the input. */
  singletonJitter?: number;
}

export const BALANCE_DEFAULTS: Readonly<Required<BalanceOptions>> = Object.freeze({
  k: 5,
  strategy: DEFAULT_STRATEGY,
  seed: 0,
  singletonJitter: 0.01,
});

export interface BalancedRows extends LabelledRows {
  /** Synthetic rows added, per class. */
  generated: Record<ThreatClass, number>;
  /** Input rows dropped by undersampling, per class. */
  removed: Record<ThreatClass, number>;
}

/**
 * Chooses the origin row of each synthetic row of class `c`: an array of `toGenerate` row
 * ids, all from `classRows`, or undefined to fall back to SMOTE's uniform draw.
 */
export type OriginPlanner = (c: number, classRows: Int32Array, toGenerate: number) => Int32Array | undefined;

export type ResolvedBalanceOptions = Required<BalanceOptions>;

/** Random streams per class; the numbers only need to differ. */
const STREAM = { undersample: 1, origins: 2, interpolate: 3 } as const;

/** Balances `data` with SMOTE; see the top of this file. */
export function smote(data: LabelledRows, options: BalanceOptions = {}): BalancedRows {
  return balanceClasses(data, resolveBalanceOptions(options), () => undefined);
}

export function resolveBalanceOptions(options: BalanceOptions): ResolvedBalanceOptions {
  const resolved: ResolvedBalanceOptions = {
    k: options.k ?? BALANCE_DEFAULTS.k,
    strategy: options.strategy ?? BALANCE_DEFAULTS.strategy,
    seed: options.seed ?? BALANCE_DEFAULTS.seed,
    singletonJitter: options.singletonJitter ?? BALANCE_DEFAULTS.singletonJitter,
  };
  if (!Number.isInteger(resolved.k) || resolved.k < 1) throw new ConfigError(`k must be a whole number >= 1, got ${resolved.k}`);
  if (!Number.isFinite(resolved.seed)) throw new ConfigError(`seed must be a finite number, got ${resolved.seed}`);
  if (!(resolved.singletonJitter >= 0 && Number.isFinite(resolved.singletonJitter))) {
    throw new ConfigError(`singletonJitter must be a finite number >= 0, got ${resolved.singletonJitter}`);
  }
  return resolved;
}

/**
 * Undersamples and oversamples every class of `data` to the strategy's counts; synthetic rows
 * interpolate from origins chosen by `planOrigins` (uniform when it returns undefined).
 */
export function balanceClasses(data: LabelledRows, options: ResolvedBalanceOptions, planOrigins: OriginPlanner): BalancedRows {
  const { dims } = data;
  const n = rowCount(data);
  checkRows(data);
  const byClass = rowsByClass(data.y);
  const targets = targetCounts(byClass.map((rows) => rows.length), options.strategy);
  const kept = new Uint8Array(n);
  const generated = perClass(0);
  const removed = perClass(0);
  let synthetic = 0;
  byClass.forEach((rows, c) => {
    const target = targets[c]!;
    const name = THREAT_CLASSES[c]!;
    if (target < rows.length) {
      for (const r of sampleWithoutReplacement(rows, target, streamRng(options.seed, c, STREAM.undersample))) kept[r] = 1;
      removed[name] = rows.length - target;
    } else {
      for (const r of rows) kept[r] = 1;
      generated[name] = target - rows.length;
      synthetic += target - rows.length;
    }
  });
  const keptCount = kept.reduce((s, v) => s + v, 0);
  const x = new Float32Array((keptCount + synthetic) * dims);
  const y = new Int32Array(keptCount + synthetic);
  let out = 0;
  for (let r = 0; r < n; r++) {
    if (!kept[r]) continue;
    x.set(data.x.subarray(r * dims, (r + 1) * dims), out * dims);
    y[out++] = data.y[r]!;
  }
  let featureStd: Float64Array | undefined;
  byClass.forEach((rows, c) => {
    const m = generated[THREAT_CLASSES[c]!];
    if (m === 0) return;
    const block = x.subarray(out * dims, (out + m) * dims);
    const rng = streamRng(options.seed, c, STREAM.interpolate);
    if (rows.length === 1) {
      featureStd ??= columnStd(data);
      jitterCopies(data, rows[0]!, featureStd, options.singletonJitter, rng, block);
    } else {
      const origins = planOrigins(c, rows, m) ?? uniformOrigins(rows, m, streamRng(options.seed, c, STREAM.origins));
      interpolate(data, rows, origins, Math.min(options.k, rows.length - 1), rng, block);
    }
    y.fill(c, out, out + m);
    out += m;
  });
  return { x, y, dims, generated, removed };
}

/** Writes one row per origin: origin + u·(neighbour − origin), neighbour among its k nearest. */
function interpolate(data: LabelledRows, classRows: Int32Array, origins: Int32Array, k: number, rng: Rng, out: Float32Array): void {
  const { x, dims } = data;
  const index = buildNeighbourIndex(x, dims, classRows);
  // Origins repeat (drawn with replacement, or several per row in ADASYN): query each once.
  const neighbours = new Map<number, Int32Array>();
  origins.forEach((o, s) => {
    let near = neighbours.get(o);
    if (!near) {
      near = index.neighboursOfRow(o, k);
      neighbours.set(o, near);
    }
    const nb = near[randomIndex(rng, near.length)]!;
    const u = rng();
    const ob = o * dims;
    const nbb = nb * dims;
    for (let j = 0; j < dims; j++) out[s * dims + j] = x[ob + j]! + u * (x[nbb + j]! - x[ob + j]!);
  });
}

function jitterCopies(data: LabelledRows, row: number, featureStd: Float64Array, scale: number, rng: Rng, out: Float32Array): void {
  const { x, dims } = data;
  for (let s = 0; s < out.length / dims; s++) {
    for (let j = 0; j < dims; j++) out[s * dims + j] = x[row * dims + j]! + scale * featureStd[j]! * gaussian(rng);
  }
}

function uniformOrigins(rows: Int32Array, m: number, rng: Rng): Int32Array {
  return Int32Array.from({ length: m }, () => rows[randomIndex(rng, rows.length)]!);
}

/** `m` of `rows` chosen uniformly without replacement (partial Fisher–Yates). */
function sampleWithoutReplacement(rows: Int32Array, m: number, rng: Rng): Int32Array {
  const pool = Int32Array.from(rows);
  for (let i = 0; i < m; i++) {
    const j = i + randomIndex(rng, pool.length - i);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.subarray(0, m);
}

/** Row ids of each class, ascending, in THREAT_CLASSES order. */
function rowsByClass(y: Int32Array): Int32Array[] {
  const lists: number[][] = THREAT_CLASSES.map(() => []);
  y.forEach((c, r) => lists[c]!.push(r));
  return lists.map((rows) => Int32Array.from(rows));
}

function checkRows(data: LabelledRows): void {
  const { x, y, dims } = data;
  y.forEach((c, r) => {
    if (!(c >= 0 && c < THREAT_CLASSES.length)) throw new RangeError(`row ${r}: class index ${c} out of range 0..${THREAT_CLASSES.length - 1}`);
  });
  // NaN or Infinity would poison every distance and every row interpolated from it.
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) {
      throw new RangeError(`row ${Math.floor(i / dims)}, feature ${i % dims} is ${x[i]}: balance transformed (finite) rows`);
    }
  }
}

function columnStd(data: LabelledRows): Float64Array {
  const { x, dims } = data;
  const n = x.length / dims;
  const mean = new Float64Array(dims);
  const sq = new Float64Array(dims);
  for (let i = 0; i < x.length; i++) mean[i % dims]! += x[i]! / n;
  for (let i = 0; i < x.length; i++) sq[i % dims]! += (x[i]! - mean[i % dims]!) ** 2;
  return sq.map((s) => Math.sqrt(s / n));
}

function perClass(value: number): Record<ThreatClass, number> {
  return Object.fromEntries(THREAT_CLASSES.map((c) => [c, value])) as Record<ThreatClass, number>;
}
