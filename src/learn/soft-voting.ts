/**
 * Combining ensemble members: weighted soft voting over calibrated probabilities, how far
 * the members agree with the result, and the router's confidence gate.
 */
import { ConfigError, InputError } from '../errors/vigil-error.js';

export interface VotingMember {
  /** n × k calibrated probabilities (temperature-scaled), model-output order. */
  probs: Float32Array;
  /** Trust in this member per class (k values ≥ 0), e.g. its per-class validation accuracy. */
  weight: readonly number[];
}

/** Returned by routeOrFallback for rows whose router is not confident enough. */
export const NO_ROUTE = -1;

/**
 * Per class c, the weighted mean of the members' p_c with weights w_{m,c}; then each row is
 * divided by its sum so it is a distribution again (per-class weights break the sum).
 *
 * The mean is taken per class (divided by Σ_m w_{m,c}), so a weight says which member to
 * trust on class c, not how much to trust class c itself: a class every member finds hard
 * keeps its probability mass instead of being voted down, which would bias the ensemble
 * toward the easy majority classes. A class on which every member has weight 0 (no evidence,
 * e.g. absent from the validation split) falls back to the members' plain mean.
 */
export function softVote(members: readonly VotingMember[]): Float32Array {
  const first = members[0];
  if (!first) throw new InputError('softVote: no members to vote');
  const k = first.weight.length;
  if (k < 2) throw new ConfigError(`softVote: need a weight per class (≥ 2 classes), got ${k}`);
  const size = first.probs.length;
  if (size % k !== 0) throw new InputError(`softVote: member 0 has ${size} probabilities, not a whole number of rows of ${k} classes`);
  members.forEach((m, i) => {
    if (m.weight.length !== k) throw new ConfigError(`softVote: member ${i} has ${m.weight.length} class weights, member 0 has ${k}`);
    if (m.probs.length !== size) throw new InputError(`softVote: member ${i} has ${m.probs.length} probabilities, member 0 has ${size}`);
    m.weight.forEach((w, c) => {
      if (!(w >= 0 && Number.isFinite(w))) throw new ConfigError(`softVote: member ${i} weight for class ${c} must be a finite number ≥ 0, got ${w}`);
    });
  });

  // Weights normalised per class once, outside the row loop.
  const share = members.map(() => new Float64Array(k));
  for (let c = 0; c < k; c++) {
    const total = members.reduce((s, m) => s + m.weight[c]!, 0);
    members.forEach((m, i) => {
      share[i]![c] = total > 0 ? m.weight[c]! / total : 1 / members.length;
    });
  }

  const out = new Float32Array(size);
  const row = new Float64Array(k);
  for (let base = 0; base < size; base += k) {
    row.fill(0);
    members.forEach((m, i) => {
      for (let c = 0; c < k; c++) row[c]! += share[i]![c]! * m.probs[base + c]!;
    });
    const sum = row.reduce((s, v) => s + v, 0);
    if (!(sum > 0 && Number.isFinite(sum))) {
      throw new InputError(`softVote: row ${base / k} has no probability mass (sum ${sum}); members must give probabilities, not zeros or NaN`);
    }
    for (let c = 0; c < k; c++) out[base + c] = row[c]! / sum;
  }
  return out;
}

/**
 * Per row, the share of members whose prediction equals the final class (0..1). Low values
 * flag rows the ensemble is split on.
 */
export function agreement(memberPredictions: readonly Int32Array[], final: Int32Array): Float32Array {
  if (memberPredictions.length === 0) throw new InputError('agreement: no member predictions');
  memberPredictions.forEach((p, i) => {
    if (p.length !== final.length) throw new InputError(`agreement: member ${i} has ${p.length} predictions, final has ${final.length}`);
  });
  const out = new Float32Array(final.length);
  for (let r = 0; r < final.length; r++) {
    let agreeing = 0;
    for (const p of memberPredictions) if (p[r] === final[r]) agreeing++;
    out[r] = agreeing / memberPredictions.length;
  }
  return out;
}

/**
 * The router's choice per row: the index of its most probable route (ties to the lowest
 * index) when that probability is ≥ `threshold`, else NO_ROUTE (−1), meaning "do not trust
 * a single specialist; use the general ensemble". `routerProbs` is n × numRoutes. A
 * threshold ≤ 1/numRoutes never falls back (the largest of numRoutes probabilities is at least
 * that); 1 falls back unless the router is certain.
 */
export function routeOrFallback(routerProbs: Float32Array, threshold: number, numRoutes: number): Int32Array {
  if (!(Number.isInteger(numRoutes) && numRoutes >= 1)) throw new ConfigError(`routeOrFallback: numRoutes must be an integer ≥ 1, got ${numRoutes}`);
  if (!(threshold >= 0 && threshold <= 1)) throw new ConfigError(`routeOrFallback: threshold must be in [0, 1], got ${threshold}`);
  if (routerProbs.length % numRoutes !== 0) {
    throw new InputError(`routeOrFallback: ${routerProbs.length} probabilities is not a whole number of rows of ${numRoutes} routes`);
  }
  const n = routerProbs.length / numRoutes;
  const chosen = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const base = r * numRoutes;
    let best = 0;
    for (let c = 1; c < numRoutes; c++) if (routerProbs[base + c]! > routerProbs[base + best]!) best = c;
    chosen[r] = routerProbs[base + best]! >= threshold ? best : NO_ROUTE;
  }
  return chosen;
}
