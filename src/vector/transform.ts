/**
 * The input transform of the flow classifier, fitted on training rows only and saved with
 * the model (transform.json), so scoring reproduces training exactly. Each raw row becomes
 * `outputDims` model inputs:
 *
 *   1. encode: every feature through signed log1p, sign(x)·log1p(|x|) (flow counters span
 *      0..1e8 with heavy tails; the log keeps one huge flow from setting a feature's scale);
 *      then, when a port input is set, the destination port as indicators, because a port is
 *      a category and not a quantity (log1p puts 443 and 444 side by side): one per port among
 *      the `maxPorts` most frequent in training, then one per IANA range (well-known < 1024,
 *      registered < 49152, dynamic).
 *   2. standardise every encoded column with its training mean/std (std 0 → 1, so a column
 *      constant in training cannot divide by zero). Indicators are standardised too: a port
 *      seen in 0.1% of the training rows then stands out as much as any other feature.
 *   3. missing (NaN, see sanitize.ts; for the indicators, a missing port) → 0, the training
 *      mean.
 *   4. clip to ±clip, so values far outside anything seen in training stay bounded.
 */
export const TRANSFORM_KIND = 'signed-log1p-standardize';
export const TRANSFORM_VERSION = 1;
export const DEFAULT_CLIP = 10;
export const DEFAULT_MAX_PORTS = 16;
const PORT_RANGE_LIMITS = [1024, 49152, Number.POSITIVE_INFINITY];

export interface TransformParams {
  kind: typeof TRANSFORM_KIND;
  version: typeof TRANSFORM_VERSION;
  /** Raw inputs per row. */
  dims: number;
  /** Index of the destination port among the raw inputs, or -1 for no port indicators. */
  portIndex: number;
  /** Ports with an indicator, most frequent in training first. */
  ports: number[];
  /** Training mean and std of each encoded column (outputDims of them). */
  mean: number[];
  std: number[];
  clip: number;
}

export interface FitOptions {
  clip?: number;
  /** Which raw input is the destination port; -1 (default) for no port indicators. */
  portIndex?: number;
  maxPorts?: number;
}

/** Number of model inputs the transform produces per row. */
export function outputDims(params: Pick<TransformParams, 'dims' | 'portIndex' | 'ports'>): number {
  return params.dims + (params.portIndex >= 0 ? params.ports.length + PORT_RANGE_LIMITS.length : 0);
}

function signedLog1p(v: number): number {
  return v < 0 ? -Math.log1p(-v) : Math.log1p(v);
}

function checkShape(x: Float32Array, dims: number): number {
  if (!Number.isInteger(dims) || dims <= 0) throw new RangeError(`dims must be a positive integer, got ${dims}`);
  if (x.length % dims !== 0) throw new RangeError(`matrix of ${x.length} values is not a whole number of ${dims}-dim rows`);
  return x.length / dims;
}

type Encoding = Pick<TransformParams, 'dims' | 'portIndex' | 'ports'>;

/** Step 1 for rows of `x`, one row at a time into `row` (NaN = missing), handed to `visit`. */
function encodeRows(e: Encoding, x: Float32Array, visit: (row: Float64Array, r: number) => void): void {
  const { dims } = e;
  const n = x.length / dims;
  const row = new Float64Array(outputDims(e));
  const slot = new Map(e.ports.map((p, i) => [p, dims + i]));
  const rangeBase = dims + e.ports.length;
  for (let r = 0; r < n; r++) {
    const src = r * dims;
    for (let j = 0; j < dims; j++) {
      const v = x[src + j]!;
      row[j] = Number.isFinite(v) ? signedLog1p(v) : Number.NaN;
    }
    if (e.portIndex >= 0) {
      const port = x[src + e.portIndex]!;
      if (Number.isFinite(port)) {
        row.fill(0, dims);
        const s = slot.get(port);
        if (s !== undefined) row[s] = 1;
        row[rangeBase + PORT_RANGE_LIMITS.findIndex((limit) => port < limit)] = 1;
      } else {
        row.fill(Number.NaN, dims);
      }
    }
    visit(row, r);
  }
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

/** Fits the transform on a flat row-major n×dims matrix of raw sanitized values. */
export function fitTransform(x: Float32Array, dims: number, options: FitOptions = {}): TransformParams {
  checkShape(x, dims);
  const clip = options.clip ?? DEFAULT_CLIP;
  if (!(clip > 0)) throw new RangeError(`clip must be > 0, got ${clip}`);
  const portIndex = options.portIndex ?? -1;
  if (!Number.isInteger(portIndex) || portIndex < -1 || portIndex >= dims) {
    throw new RangeError(`portIndex must be -1 or an input index, got ${portIndex}`);
  }
  const maxPorts = options.maxPorts ?? DEFAULT_MAX_PORTS;
  const encoding: Encoding = { dims, portIndex, ports: portIndex >= 0 ? frequentPorts(x, dims, portIndex, maxPorts) : [] };
  const width = outputDims(encoding);
  const sum = new Float64Array(width);
  const count = new Float64Array(width);
  encodeRows(encoding, x, (row) => {
    for (let j = 0; j < width; j++) {
      if (!Number.isNaN(row[j]!)) {
        sum[j]! += row[j]!;
        count[j]! += 1;
      }
    }
  });
  const mean = Array.from(sum, (s, j) => (count[j]! > 0 ? s / count[j]! : 0));
  // Two passes rather than one: sum-of-squares cancels badly for near-constant columns.
  const sq = new Float64Array(width);
  encodeRows(encoding, x, (row) => {
    for (let j = 0; j < width; j++) {
      if (!Number.isNaN(row[j]!)) sq[j]! += (row[j]! - mean[j]!) ** 2;
    }
  });
  const std = Array.from(sq, (s, j) => {
    const sd = count[j]! > 0 ? Math.sqrt(s / count[j]!) : 0;
    return sd > 1e-12 ? sd : 1;
  });
  return { kind: TRANSFORM_KIND, version: TRANSFORM_VERSION, ...encoding, mean, std, clip };
}

/**
 * Applies fitted params to a flat n×dims matrix of raw sanitized values, giving a flat
 * n×outputDims(params) matrix, written into `out` (not `x` itself when ports are encoded:
 * rows grow) or a new matrix. Any non-finite input counts as missing here too, so an
 * unsanitized Infinity cannot reach the model.
 */
export function applyTransform(params: TransformParams, x: Float32Array, out?: Float32Array): Float32Array {
  const n = checkShape(x, params.dims);
  const width = outputDims(params);
  const target = out ?? new Float32Array(n * width);
  if (target.length < n * width) throw new RangeError(`output of ${target.length} values cannot hold ${n} rows of ${width}`);
  if (width !== params.dims && target.buffer === x.buffer) throw new RangeError('applyTransform cannot encode ports in place');
  const mean = Float64Array.from(params.mean);
  const inv = Float64Array.from(params.std, (s) => 1 / s);
  const clip = params.clip;
  encodeRows(params, x, (row, r) => {
    const dst = r * width;
    for (let j = 0; j < width; j++) {
      const v = row[j]!;
      const z = Number.isNaN(v) ? 0 : (v - mean[j]!) * inv[j]!;
      target[dst + j] = z > clip ? clip : z < -clip ? -clip : z;
    }
  });
  return target;
}

/** Checks that a parsed transform.json has the shape this build writes; returns a message or undefined. */
export function transformParamsProblem(value: unknown, dims: number): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const p = value as Partial<TransformParams>;
  if (p.kind !== TRANSFORM_KIND) return `kind is ${JSON.stringify(p.kind)}, expected "${TRANSFORM_KIND}"`;
  if (p.version !== TRANSFORM_VERSION) return `version is ${JSON.stringify(p.version)}, expected ${TRANSFORM_VERSION}`;
  if (p.dims !== dims) return `dims is ${JSON.stringify(p.dims)}, expected ${dims}`;
  if (typeof p.portIndex !== 'number' || !Number.isInteger(p.portIndex) || p.portIndex < -1 || p.portIndex >= dims) {
    return 'portIndex must be -1 or an input index';
  }
  if (!Array.isArray(p.ports) || !p.ports.every((v) => Number.isInteger(v)) || new Set(p.ports).size !== p.ports.length) {
    return 'ports must be distinct integers';
  }
  const width = outputDims({ dims, portIndex: p.portIndex, ports: p.ports });
  const finiteList = (a: unknown): a is number[] =>
    Array.isArray(a) && a.length === width && a.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!finiteList(p.mean)) return `mean must be ${width} finite numbers`;
  if (!finiteList(p.std) || p.std.some((s) => s <= 0)) return `std must be ${width} positive numbers`;
  if (typeof p.clip !== 'number' || !(p.clip > 0)) return 'clip must be a positive number';
  return undefined;
}
