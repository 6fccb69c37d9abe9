import { ConfigError } from '../errors/vigil-error.js';
import { NORMAL_CLASS_INDEX, THREAT_CLASSES, type ThreatClass } from '../events/threat-classes.js';

/**
 * Shares of the balanced set, summing to 1. A class may have its own share; `attacksEvenly`
 * is spread evenly over the attack classes (every class but normal) that have rows and no
 * share of their own. `{ normal: 0.3, attacksEvenly: 0.7 }` is 30% normal and 70% split over
 * the attack classes present.
 */
export type ClassShares = Partial<Record<ThreatClass | 'attacksEvenly', number>>;

/**
 * How many rows each class should have after balancing (imbalanced-learn's
 * `sampling_strategy`, as plain data):
 *
 * - `'not majority'`: every class with rows is brought up to the largest class's count.
 * - `{ shares, total? }`: the set gets `total` rows (default: as many as the input has, so
 *   the set keeps its size and only the mix changes; a total anchored on the majority would
 *   grow vigil's set about fourfold) split by `shares`, rounded by largest remainder so the
 *   counts add up to `total` exactly.
 * - `{ counts }`: explicit per-class counts; a class not named keeps its rows.
 *
 * A class asked for fewer rows than it has is undersampled at random (see smote.ts), so the
 * target is met exactly either way. A class without rows cannot be oversampled: asking for
 * rows of it is a ConfigError, and `attacksEvenly` skips it.
 */
export type SamplingStrategy =
  | 'not majority'
  | { shares: ClassShares; total?: number }
  | { counts: Partial<Record<ThreatClass, number>> };

export const DEFAULT_STRATEGY: SamplingStrategy = 'not majority';

const SHARE_SUM_TOLERANCE = 1e-6;
const CLASS_COUNT = THREAT_CLASSES.length;

/** Target rows per class (THREAT_CLASSES order) for the current `counts` under `strategy`. */
export function targetCounts(counts: ArrayLike<number>, strategy: SamplingStrategy): Int32Array {
  if (counts.length !== CLASS_COUNT) throw new RangeError(`expected ${CLASS_COUNT} class counts, got ${counts.length}`);
  if (strategy === 'not majority') {
    const majority = Math.max(0, ...Array.from(counts));
    return Int32Array.from(counts, (n) => (n > 0 ? majority : 0));
  }
  if (typeof strategy === 'object' && strategy !== null && 'shares' in strategy) return targetsFromShares(counts, strategy.shares, strategy.total);
  if (typeof strategy === 'object' && strategy !== null && 'counts' in strategy) return targetsFromCounts(counts, strategy.counts);
  throw new ConfigError(`sampling strategy: expected 'not majority', { shares } or { counts }, got ${JSON.stringify(strategy)}`);
}

function targetsFromShares(counts: ArrayLike<number>, shares: ClassShares, total?: number): Int32Array {
  const rows = Array.from(counts).reduce((s, n) => s + n, 0);
  const size = total ?? rows;
  if (!Number.isInteger(size) || size < 0) throw new ConfigError(`sampling strategy: total must be a whole number >= 0, got ${total}`);
  for (const [key, share] of Object.entries(shares)) {
    if (key !== 'attacksEvenly' && !THREAT_CLASSES.includes(key as ThreatClass)) {
      throw new ConfigError(`sampling strategy: unknown class '${key}' in shares; expected one of ${THREAT_CLASSES.join(', ')} or attacksEvenly`);
    }
    if (typeof share !== 'number' || !Number.isFinite(share) || share < 0) {
      throw new ConfigError(`sampling strategy: share of ${key} must be a number >= 0, got ${String(share)}`);
    }
  }
  const weights = new Float64Array(CLASS_COUNT);
  const evenly: number[] = [];
  THREAT_CLASSES.forEach((name, c) => {
    const own = shares[name];
    if (own !== undefined) {
      if (own > 0 && counts[c]! === 0) throw new ConfigError(`sampling strategy: ${name} has a share of ${own} but no rows to sample from`);
      weights[c] = own;
    } else if (c !== NORMAL_CLASS_INDEX && counts[c]! > 0 && shares.attacksEvenly !== undefined) {
      evenly.push(c);
    } else if (counts[c]! > 0) {
      throw new ConfigError(`sampling strategy: ${name} has ${counts[c]} rows but no share; give it one (0 drops the class)`);
    }
  });
  const spread = shares.attacksEvenly ?? 0;
  if (spread > 0 && evenly.length === 0) throw new ConfigError('sampling strategy: attacksEvenly has a share but no attack class without a share of its own has rows');
  for (const c of evenly) weights[c] = spread / evenly.length;
  const sum = weights.reduce((s, w) => s + w, 0);
  if (Math.abs(sum - 1) > SHARE_SUM_TOLERANCE) throw new ConfigError(`sampling strategy: shares must add up to 1, got ${sum}`);
  return apportion(weights, size);
}

function targetsFromCounts(counts: ArrayLike<number>, wanted: Partial<Record<ThreatClass, number>>): Int32Array {
  const targets = Int32Array.from(counts);
  for (const [key, n] of Object.entries(wanted)) {
    const c = THREAT_CLASSES.indexOf(key as ThreatClass);
    if (c < 0) throw new ConfigError(`sampling strategy: unknown class '${key}' in counts; expected one of ${THREAT_CLASSES.join(', ')}`);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new ConfigError(`sampling strategy: count of ${key} must be a whole number >= 0, got ${String(n)}`);
    if (n > 0 && counts[c]! === 0) throw new ConfigError(`sampling strategy: ${key} is asked for ${n} rows but has none to sample from`);
    targets[c] = n;
  }
  return targets;
}

/**
 * Splits `total` into whole parts proportional to `weights` (Hamilton's largest-remainder
 * method): each part is the floor or the ceiling of its exact quota, and the parts add up to
 * `total` exactly. Equal remainders go to the lower index, so the split is deterministic.
 */
export function apportion(weights: ArrayLike<number>, total: number): Int32Array {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`total must be a whole number >= 0, got ${total}`);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (!(w >= 0 && Number.isFinite(w))) throw new RangeError(`weight ${i} must be finite and >= 0, got ${w}`);
    sum += w;
  }
  const parts = new Int32Array(weights.length);
  if (total === 0) return parts;
  if (!(sum > 0)) throw new RangeError(`cannot split ${total} over weights that are all 0`);
  const remainders = new Float64Array(weights.length);
  let given = 0;
  for (let i = 0; i < weights.length; i++) {
    const quota = (weights[i]! / sum) * total;
    parts[i] = Math.floor(quota);
    remainders[i] = quota - parts[i]!;
    given += parts[i]!;
  }
  const order = Array.from({ length: weights.length }, (_, i) => i)
    .filter((i) => weights[i]! > 0)
    .sort((a, b) => remainders[b]! - remainders[a]! || a - b);
  // The floors fall short by fewer than the parts with weight; cycling only guards the sum
  // against rounding in the quotas.
  for (let r = 0; given < total; r++, given++) parts[order[r % order.length]!]! += 1;
  return parts;
}
