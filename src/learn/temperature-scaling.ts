/**
 * Temperature scaling (Guo, Pleiss, Sun, Weinberger, "On Calibration of Modern Neural
 * Networks", ICML 2017): one scalar T > 0 divides every logit, softmax(z / T), chosen to
 * minimise the negative log-likelihood of a held-out (validation) split. It never changes a
 * row's argmax, only how confident the probabilities are, which is what soft voting and
 * per-class thresholds downstream rely on.
 *
 * Search: with β = 1/T, NLL(β) = mean_i [logsumexp(β z_i) − β z_{i,y_i}] is convex in β
 * (logsumexp is convex, the rest is linear), so along u = log T = −log β it is unimodal.
 * Golden-section search on u over [log minTemperature, log maxTemperature] therefore finds
 * the minimum to `tolerance` in u (≈40 evaluations of the NLL, each one pass over the rows).
 *
 * Probabilities as input (`input: 'probabilities'`): log p_c = z_c − logsumexp(z), i.e. the
 * logits up to a per-row constant, and softmax ignores per-row constants, so log p are valid
 * logits. Probabilities are floored at ε first (a 0 has no log); that floor is the only
 * difference from scaling the original logits, and it matters only for classes below ε, so
 * ε is as small as float32 allows (see `epsilon`). Prefer logits when the model exposes them.
 */
import { ConfigError, InputError } from '../errors/vigil-error.js';
import { THREAT_CLASSES } from '../events/threat-classes.js';

export interface TemperatureOptions {
  /** Values per row (classes), model-output order. */
  numClasses?: number;
  /** What the flat array holds: raw logits, or softmax probabilities (see the module comment). */
  input?: 'logits' | 'probabilities';
  /**
   * Floor for probabilities before the log. Float32 keeps full relative precision down to
   * its smallest normal number (2^-126 ≈ 1.2e-38), so log p of a tiny float32 probability is
   * still an accurate logit; only underflowed zeros (and denormals) need the floor. A larger
   * clip such as 1e-7 flattens the tail of an over-confident model and biases T low (measured:
   * 4.54 instead of 4.87 on logits made 5× over-confident, test/learn/probability-temperature).
   */
  epsilon?: number;
}

export interface TemperatureFitOptions extends TemperatureOptions {
  /** Search bounds for T; the fit stays inside them. */
  minTemperature?: number;
  maxTemperature?: number;
  /** Width in log T at which the search stops (1e-4 ≈ 0.01 % of T). */
  tolerance?: number;
}

export const TEMPERATURE_DEFAULTS: Required<TemperatureFitOptions> = {
  numClasses: THREAT_CLASSES.length,
  input: 'logits',
  epsilon: 2 ** -126,
  minTemperature: 0.01,
  maxTemperature: 100,
  tolerance: 1e-4,
};

export interface TemperatureFit {
  temperature: number;
  /** Mean NLL (nats per row) at T = 1, i.e. of the inputs as given. */
  nllBefore: number;
  /** Mean NLL at the fitted T; never above nllBefore (T = 1 is kept if the search finds nothing better). */
  nllAfter: number;
}

function resolve(options: TemperatureFitOptions): Required<TemperatureFitOptions> {
  const o = { ...TEMPERATURE_DEFAULTS, ...options };
  if (!(Number.isInteger(o.numClasses) && o.numClasses >= 2)) throw new ConfigError(`temperature scaling: numClasses must be an integer ≥ 2, got ${o.numClasses}`);
  if (o.input !== 'logits' && o.input !== 'probabilities') throw new ConfigError(`temperature scaling: input must be 'logits' or 'probabilities', got ${String(o.input)}`);
  if (!(o.epsilon > 0 && o.epsilon < 1)) throw new ConfigError(`temperature scaling: epsilon must be in (0, 1), got ${o.epsilon}`);
  if (!(o.minTemperature > 0 && o.minTemperature <= 1 && o.maxTemperature >= 1 && Number.isFinite(o.maxTemperature))) {
    throw new ConfigError(`temperature scaling: need 0 < minTemperature ≤ 1 ≤ maxTemperature < ∞, got [${o.minTemperature}, ${o.maxTemperature}]`);
  }
  if (!(o.tolerance > 0)) throw new ConfigError(`temperature scaling: tolerance must be > 0, got ${o.tolerance}`);
  return o;
}

/** The inputs as logits in float64 (one conversion up front; the search reads them ~40 times). */
function asLogits(values: Float32Array, o: Required<TemperatureOptions>): Float64Array {
  if (values.length % o.numClasses !== 0) {
    throw new InputError(`temperature scaling: ${values.length} values is not a whole number of rows of ${o.numClasses} classes`);
  }
  const z = o.input === 'logits' ? Float64Array.from(values) : Float64Array.from(values, (p) => Math.log(Math.max(p, o.epsilon)));
  // A NaN would not throw later: it would quietly make every NLL NaN and the search meaningless.
  const bad = z.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new InputError(`temperature scaling: value ${bad} (row ${Math.floor(bad / o.numClasses)}) is ${values[bad]}, expected a finite ${o.input === 'logits' ? 'logit' : 'probability'}`);
  return z;
}

/** Mean −log softmax(z_i / T)[y_i], with the max subtracted per row so exp cannot overflow. */
function meanNll(z: Float64Array, labels: Int32Array, k: number, temperature: number): number {
  const inv = 1 / temperature;
  let total = 0;
  for (let r = 0; r < labels.length; r++) {
    const base = r * k;
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, z[base + c]! * inv);
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(z[base + c]! * inv - max);
    total += max + Math.log(sum) - z[base + labels[r]!]! * inv;
  }
  return total / labels.length;
}

const INV_PHI = (Math.sqrt(5) - 1) / 2;

/** Golden-section minimum of a unimodal f on [lo, hi], to an interval narrower than tol. */
function goldenSectionMin(f: (u: number) => number, lo: number, hi: number, tol: number): number {
  let a = lo;
  let b = hi;
  let c = b - INV_PHI * (b - a);
  let d = a + INV_PHI * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > tol) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - INV_PHI * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + INV_PHI * (b - a);
      fd = f(d);
    }
  }
  return (a + b) / 2;
}

/**
 * Fits T on a validation split: `values` holds n × numClasses logits (or probabilities, per
 * `input`), `labels` the n true class indices.
 */
export function fitTemperature(values: Float32Array, labels: Int32Array, options: TemperatureFitOptions = {}): TemperatureFit {
  const o = resolve(options);
  const k = o.numClasses;
  const z = asLogits(values, o);
  if (z.length !== labels.length * k) throw new InputError(`fitTemperature: ${z.length / k} rows of values but ${labels.length} labels`);
  if (labels.length === 0) throw new InputError('fitTemperature: no rows to fit on');
  labels.forEach((y, i) => {
    if (!(y >= 0 && y < k)) throw new InputError(`fitTemperature: label ${i} is ${y}, expected a class index in [0, ${k})`);
  });

  const nll = (t: number) => meanNll(z, labels, k, t);
  const nllBefore = nll(1);
  const u = goldenSectionMin((logT) => nll(Math.exp(logT)), Math.log(o.minTemperature), Math.log(o.maxTemperature), o.tolerance);
  const temperature = Math.exp(u);
  const nllAfter = nll(temperature);
  // Flat or nearly flat NLL (e.g. constant logits) can leave the search a hair above T = 1.
  return nllAfter <= nllBefore ? { temperature, nllBefore, nllAfter } : { temperature: 1, nllBefore, nllAfter: nllBefore };
}

/** softmax(z / T) per row: n × numClasses probabilities, rows summing to 1. */
export function applyTemperature(values: Float32Array, temperature: number, options: TemperatureOptions = {}): Float32Array {
  const o = resolve(options);
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new ConfigError(`applyTemperature: temperature must be a finite number > 0, got ${temperature}`);
  const k = o.numClasses;
  const z = asLogits(values, o);
  const out = new Float32Array(z.length);
  const inv = 1 / temperature;
  const scaled = new Float64Array(k);
  for (let base = 0; base < z.length; base += k) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      scaled[c] = z[base + c]! * inv;
      max = Math.max(max, scaled[c]!);
    }
    let sum = 0;
    for (let c = 0; c < k; c++) {
      scaled[c] = Math.exp(scaled[c]! - max);
      sum += scaled[c]!;
    }
    for (let c = 0; c < k; c++) out[base + c] = scaled[c]! / sum;
  }
  return out;
}
