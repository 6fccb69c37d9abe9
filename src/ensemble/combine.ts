/**
 * How the ensemble's calibrated member outputs become one class distribution and a decision.
 * Pure: the same code runs when tuning on the validation split and when scoring.
 *
 * Per row:
 *   1. the router's most probable route r, or NO_ROUTE when its probability is below
 *      `routerThreshold` (../learn/soft-voting.ts routeOrFallback);
 *   2. NO_ROUTE: the fallback. With `fallback: 'general'` (the default, and every model saved
 *      before the setting existed) the row takes the general model's distribution as it is;
 *      with `fallback: 'panel'` it takes the soft vote of step 3 with every specialist in it,
 *      each speaking about its own class only. A row the router cannot place is the row a
 *      single member is least sure of, so there it asks all of them;
 *   3. otherwise a weighted soft vote (softVote) of the general model, the router, and, when r
 *      is an attack class, specialist r. A specialist only knows "its class or not": its vote
 *      puts q_r on class r and spreads 1 − q_r over the other classes as the general model
 *      does, and it is weighted on class r only (weight 0 elsewhere), so it speaks about its
 *      own class and nothing else;
 *   4. the decision: argmax_c p_c / t_c with the per-class thresholds (class-thresholds.ts);
 *   5. optionally (`specialistGate` > 0), an attack class must be confirmed by its own
 *      specialist (q_c ≥ specialistGate): otherwise the row takes the best class, by the same
 *      rule, among normal and the attack classes whose specialist does confirm.
 */
import { ConfigError, InputError } from '../errors/vigil-error.js';
import { THREAT_CLASSES } from '../events/threat-classes.js';
import { applyClassThresholds } from '../learn/class-thresholds.js';
import { NO_ROUTE, routeOrFallback, softVote, type VotingMember } from '../learn/soft-voting.js';

const K = THREAT_CLASSES.length;

/** Calibrated member outputs for n rows. */
export interface MemberProbabilities {
  /** n × 7, THREAT_CLASSES order. */
  general: Float32Array;
  /** n × 7: route c = "specialist c applies" (route 0: normal, no specialist). */
  router: Float32Array;
  /** Per class index (1..6; 0 is undefined): n × 2, [rest, class]. */
  specialists: ReadonlyArray<Float32Array | undefined>;
}

export interface VoteWeights {
  /** Per class (7): trust in the general model on that class. */
  general: number[];
  /** Per class (7): trust in the router as a classifier on that class. */
  router: number[];
  /** Per class (7; index 0 unused, 0): trust in specialist c on its own class. */
  specialists: number[];
}

export interface CombineSettings {
  /** Router confidence below which a row falls back to the general model, in [0, 1]. */
  routerThreshold: number;
  weights: VoteWeights;
  /** Per-class decision thresholds t_c > 0 (all 1 = plain argmax). */
  thresholds: number[];
  /** Specialist confirmation (step 5) at this q; 0 or absent: off. */
  specialistGate?: number;
  /** Who decides a row the router cannot place (step 2); absent: 'general'. */
  fallback?: FallbackRule;
}

export type FallbackRule = 'general' | 'panel';
export const FALLBACK_RULES: readonly FallbackRule[] = ['general', 'panel'];

export interface Combined {
  /** n × 7 final probabilities, rows summing to 1. */
  probs: Float32Array;
  /** Decided class per row. */
  predicted: Int32Array;
  /** Route per row (NO_ROUTE = fell back to the general model). */
  routes: Int32Array;
}

function checkWeights(w: readonly number[], what: string): void {
  if (w.length !== K) throw new ConfigError(`ensemble ${what} weights: need ${K} (one per class), got ${w.length}`);
}

/** The specialist's binary vote as a 7-class distribution (module comment, step 3). */
function specialistVote(general: Float32Array, specialist: Float32Array, c: number, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * K);
  rows.forEach((r, i) => {
    const q = specialist[r * 2 + 1]!;
    const rest = 1 - general[r * K + c]!;
    for (let j = 0; j < K; j++) {
      // A general model certain of class c leaves nothing to spread: spread evenly instead.
      const share = rest > 1e-12 ? general[r * K + j]! / rest : 1 / (K - 1);
      out[i * K + j] = j === c ? q : (1 - q) * share;
    }
  });
  return out;
}

function gather(matrix: Float32Array, rows: Int32Array, width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(matrix.subarray(r * width, (r + 1) * width), i * width));
  return out;
}

/** The soft vote's members for `rows`: general, router, and the specialists of `speakers`. */
function voters(m: MemberProbabilities, weights: VoteWeights, rows: Int32Array, speakers: readonly number[]): VotingMember[] {
  const n = m.general.length / K;
  const general = gather(m.general, rows, K);
  const list: VotingMember[] = [
    { probs: general, weight: weights.general },
    { probs: gather(m.router, rows, K), weight: weights.router },
  ];
  for (const c of speakers) {
    const specialist = m.specialists[c];
    if (!specialist) continue;
    if (specialist.length !== n * 2) throw new InputError(`combineMembers: specialist ${THREAT_CLASSES[c]} has ${specialist.length} values, expected ${n} × 2`);
    const weight = Array.from({ length: K }, (_, j) => (j === c ? weights.specialists[c]! : 0));
    list.push({ probs: specialistVote(m.general, specialist, c, rows), weight });
  }
  return list;
}

/** Final probabilities, routes and decisions for n rows; see the module comment. */
export function combineMembers(m: MemberProbabilities, s: CombineSettings): Combined {
  checkWeights(s.weights.general, 'general');
  checkWeights(s.weights.router, 'router');
  checkWeights(s.weights.specialists, 'specialist');
  if (m.general.length % K !== 0 || m.router.length !== m.general.length) {
    throw new InputError(`combineMembers: general (${m.general.length}) and router (${m.router.length}) must both be n × ${K}`);
  }
  const n = m.general.length / K;
  const routes = routeOrFallback(m.router, s.routerThreshold, K);
  const probs = new Float32Array(n * K);
  // Rows grouped by route: each group is one soft vote over the same members.
  const byRoute = new Map<number, number[]>();
  routes.forEach((r, i) => {
    const rows = byRoute.get(r);
    if (rows) rows.push(i);
    else byRoute.set(r, [i]);
  });
  const fallback = s.fallback ?? 'general';
  if (!FALLBACK_RULES.includes(fallback)) throw new ConfigError(`ensemble fallback must be one of ${FALLBACK_RULES.join(', ')}, got ${String(fallback)}`);
  for (const [route, list] of byRoute) {
    const rows = Int32Array.from(list);
    if (route === NO_ROUTE && fallback === 'general') {
      rows.forEach((r) => probs.set(m.general.subarray(r * K, (r + 1) * K), r * K));
      continue;
    }
    const speakers = route === NO_ROUTE ? THREAT_CLASSES.map((_, c) => c).slice(1) : route === 0 ? [] : [route];
    const voted = softVote(voters(m, s.weights, rows, speakers));
    rows.forEach((r, i) => probs.set(voted.subarray(i * K, (i + 1) * K), r * K));
  }
  const predicted = applyClassThresholds(probs, s.thresholds);
  if (s.specialistGate) confirmBySpecialists(predicted, probs, m.specialists, s.thresholds, s.specialistGate);
  return { probs, predicted, routes };
}

/** Step 5 of the module comment, in place on `predicted`. */
function confirmBySpecialists(predicted: Int32Array, probs: Float32Array, specialists: ReadonlyArray<Float32Array | undefined>, thresholds: readonly number[], gate: number): void {
  if (!(gate > 0 && gate < 1)) throw new ConfigError(`ensemble specialistGate must be in (0, 1), got ${gate}`);
  const confirms = (r: number, c: number) => c === 0 || !specialists[c] || specialists[c]![r * 2 + 1]! >= gate;
  predicted.forEach((c, r) => {
    if (confirms(r, c)) return;
    let best = 0;
    let bestScore = probs[r * K]! / thresholds[0]!;
    for (let j = 1; j < K; j++) {
      const score = probs[r * K + j]! / thresholds[j]!;
      if (score > bestScore && confirms(r, j)) {
        best = j;
        bestScore = score;
      }
    }
    predicted[r] = best;
  });
}
