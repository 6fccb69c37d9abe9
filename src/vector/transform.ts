/**
 * The input transform of the flow classifier, fitted on training rows only and saved with
 * the model (transform.json), so scoring reproduces training exactly:
 *
 *   1. signed log1p, sign(x)·log1p(|x|): flow counters span 0..1e8 with heavy tails; the log
 *      keeps a single huge flow from dominating the scale of a feature.
 *   2. standardise with the training mean/std of the logged values (std 0 → 1, so a feature
 *      that was constant in training cannot divide by zero).
 *   3. missing (NaN, see sanitize.ts) → 0, i.e. the training mean.
 *   4. clip to ±clip, so values far outside anything seen in training stay bounded.
 *   5. the destination port, a category and not a quantity (log1p puts 443 and 444 side by
 *      side), also becomes indicators: one per port among the `maxPorts` most frequent in
 *      the training rows, then one per IANA range (well-known < 1024, registered < 49152,
 *      dynamic). So the model sees dims + ports.length + 3 inputs.
 */
export const TRANSFORM_KIND = 'signed-log1p-standardize';
export const TRANSFORM_VERSION = 1;
export const DEFAULT_CLIP = 10;
export const DEFAULT_MAX_PORTS = 16;
const PORT_RANGES = [1024, 49152, Number.POSITIVE_INFINITY];

export interface TransformParams {
  kind: typeof TRANSFORM_KIND;
  version: typeof TRANSFORM_VERSION;
  dims: number;
  mean: number[];
  std: number[];
  clip: number;
  /** Index of the destination port in the input vector, or -1 for no port indicators. */
  portIndex: number;
  /** Ports with an indicator input, most frequent in training first. */
  ports: number[];
}

export interface FitOptions {
  clip?: number;
  /** Which input is the destination port; -1 (default) for no port indicators. */
  portIndex?: number;
  maxPorts?: number;
}

/** Number of model inputs the transform produces per row. */
export function outputDims(params: TransformParams): number {
  return params.dims + (params.portIndex >= 0 ? params.ports.length + PORT_RANGES.length : 0);
}

function signedLog1p(v: number): number {
  return v < 0 ? -Math.log1p(-v) : Math.log1p(v);
}

function checkShape(x: Float32Array, dims: number): number {
  if (!Number.isInteger(dims) || dims <= 0) throw new RangeError(`dims must be a positive integer, got ${dims}`);
  if (x.length % dims !== 0) throw new RangeError(`matrix of ${x.length} values is not a whole number of ${dims}-dim rows`);
  return x.length / dims;
}

/** Fits the transform on a flat row-major n×dims matrix of raw sanitized values. */
export function fitTransform(x: Float32Array, dims: number, options: FitOptions = {}): TransformParams {
  const n = checkShape(x, dims);
  const clip = options.clip ?? DEFAULT_CLIP;
  if (!(clip > 0)) throw new RangeError(`clip must be > 0, got ${clip}`);
  const portIndex = options.portIndex ?? -1;
  if (!Number.isInteger(portIndex) || portIndex < -1 || portIndex >= dims) throw new RangeError(`portIndex must be -1 or an input index, got ${portIndex}`);
  const sum = new Float64Array(dims);
  const count = new Float64Array(dims);
  for (let r = 0; r < n; r++) {
    const base = r * dims;
    for (let j = 0; j < dims; j++) {
      const v = x[base + j]!;
      if (Number.isFinite(v)) {
        sum[j]! += signedLog1p(v);
        count[j]! += 1;
      }
    }
  }
  const mean = new Float64Array(dims);
  for (let j = 0; j < dims; j++) mean[j] = count[j]! > 0 ? sum[j]! / count[j]! : 0;
  // Two passes rather than one: sum-of-squares cancels badly for near-constant features.
  const sq = new Float64Array(dims);
  for (let r = 0; r < n; r++) {
    const base = r * dims;
    for (let j = 0; j < dims; j++) {
      const v = x[base + j]!;
      if (Number.isFinite(v)) {
        const d = signedLog1p(v) - mean[j]!;
        sq[j]! += d * d;
      }
    }
  }
  const std: number[] = [];
  for (let j = 0; j < dims; j++) {
    const s = count[j]! > 0 ? Math.sqrt(sq[j]! / count[j]!) : 0;
    std.push(s > 1e-12 ? s : 1);
  }
  const ports = portIndex >= 0 && (options.maxPorts ?? DEFAULT_MAX_PORTS) > 0 ? frequentPorts(x, dims, portIndex, options.maxPorts ?? DEFAULT_MAX_PORTS) : [];
  return { kind: TRANSFORM_KIND, version: TRANSFORM_VERSION, dims, mean: Array.from(mean), std, clip, portIndex, ports };
}

function frequentPorts(x: Float32Array, dims: number, portIndex: number, maxPorts: number): number[] {
  const counts = new Map<number, number>();
  for (let i = portIndex; i < x.length; i += dims) {
    const p = x[i]!;
    if (Number.isInteger(p)) counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, maxPorts)
    .map(([p]) => p);
}

/**
 * Applies fitted params to a flat n×dims matrix of raw sanitized values, giving an
 * n×outputDims(params) matrix, written into `out` or a new matrix (`out` must not be `x`
 * when ports are encoded: rows grow). Any non-finite input counts as missing here too, so an
 * unsanitized Infinity cannot reach the model.
 */
export function applyTransform(params: TransformParams, x: Float32Array, out?: Float32Array): Float32Array {
  const dims = params.dims;
  const n = checkShape(x, dims);
  const width = outputDims(params);
  const target = out ?? new Float32Array(n * width);
  if (target.length < n * width) throw new RangeError(`output of ${target.length} values cannot hold ${n} rows of ${width}`);
  if (width !== dims && target.buffer === x.buffer) throw new RangeError('applyTransform cannot encode ports in place');
  const mean = Float64Array.from(params.mean);
  const inv = Float64Array.from(params.std, (s) => 1 / s);
  const clip = params.clip;
  const slot = new Map(params.ports.map((p, i) => [p, dims + i]));
  const rangeBase = dims + params.ports.length;
  for (let r = 0; r < n; r++) {
    const src = r * dims;
    const dst = r * width;
    for (let j = 0; j < dims; j++) {
      const v = x[src + j]!;
      if (!Number.isFinite(v)) {
        target[dst + j] = 0;
        continue;
      }
      const z = (signedLog1p(v) - mean[j]!) * inv[j]!;
      target[dst + j] = z > clip ? clip : z < -clip ? -clip : z;
    }
    if (width === dims) continue;
    target.fill(0, dst + dims, dst + width);
    const port = x[src + params.portIndex]!;
    if (!Number.isFinite(port)) continue;
    const s = slot.get(port);
    if (s !== undefined) target[dst + s] = 1;
    target[dst + rangeBase + PORT_RANGES.findIndex((limit) => port < limit)] = 1;
  }
  return target;
}

/** Checks that a parsed transform.json has the shape this build writes; returns a message or undefined. */
export function transformParamsProblem(value: unknown, dims: number): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const p = value as Partial<TransformParams>;
  if (p.kind !== TRANSFORM_KIND) return `kind is ${JSON.stringify(p.kind)}, expected "${TRANSFORM_KIND}"`;
  if (p.version !== TRANSFORM_VERSION) return `version is ${JSON.stringify(p.version)}, expected ${TRANSFORM_VERSION}`;
  if (p.dims !== dims) return `dims is ${JSON.stringify(p.dims)}, expected ${dims}`;
  const finiteList = (a: unknown): a is number[] =>
    Array.isArray(a) && a.length === dims && a.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!finiteList(p.mean)) return `mean must be ${dims} finite numbers`;
  if (!finiteList(p.std) || p.std.some((s) => s <= 0)) return `std must be ${dims} positive numbers`;
  if (typeof p.clip !== 'number' || !(p.clip > 0)) return 'clip must be a positive number';
  if (typeof p.portIndex !== 'number' || !Number.isInteger(p.portIndex) || p.portIndex < -1 || p.portIndex >= dims) {
    return 'portIndex must be -1 or an input index';
  }
  if (!Array.isArray(p.ports) || !p.ports.every((v) => Number.isInteger(v)) || new Set(p.ports).size !== p.ports.length) {
    return 'ports must be distinct integers';
  }
  return undefined;
}
