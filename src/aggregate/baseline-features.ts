import type { FlowEvent } from '../events/flow-event.js';
import { FLOW_FEATURES, type FlowFeatureSpec } from '../features/flow-features.js';
import type { KeyFamily, KeyState, SourcePosition, StateUpdate } from '../store/online-store.js';
import { sanitizeValue } from '../vector/sanitize.js';
import { moments, type MomentsOutput, type MomentsState } from './moments.js';

/**
 * Baseline features: per source IP, running count, sum and sum of squares (so mean and std)
 * of the first 20 flow features of feature version 1, kept in the online store under
 * `<prefix>baseline_features:<src_ip>` and forgotten an hour after the IP was last seen.
 *
 * A flow becomes one store update that adds its `moments` partials field by field: moments
 * merge by addition, so the store's `add` fold is exactly `moments.merge`, done server-side
 * and safe under concurrent writers. A value that is missing by the rule of sanitize.ts adds
 * nothing to its feature, so each feature keeps its own count.
 *
 * Field names: `<feature>:count`, `<feature>:sum`, `<feature>:sum_sq`.
 */
export const BASELINE_FEATURES: readonly FlowFeatureSpec[] = Object.freeze(FLOW_FEATURES.slice(0, 20));

export const BASELINE_FAMILY: KeyFamily = Object.freeze({ name: 'baseline_features', ttlMs: 60 * 60 * 1000 });

const FIELDS = BASELINE_FEATURES.map((f) => ({
  name: f.name,
  min: f.min,
  count: `${f.name}:count`,
  sum: `${f.name}:sum`,
  sumSq: `${f.name}:sum_sq`,
}));

/** The update folding one flow into its source IP's baseline; `position` is the flow's record. */
export function baselineUpdate(flow: Pick<FlowEvent, 'srcIp' | 'features' | 'ts'>, position: SourcePosition): StateUpdate {
  const add: Record<string, number> = {};
  for (const f of FIELDS) {
    const partial = moments.update(moments.init(), sanitizeValue(flow.features[f.name], f.min), flow.ts);
    if (partial.count === 0) continue;
    add[f.count] = partial.count;
    add[f.sum] = partial.sum;
    add[f.sumSq] = partial.sumSq;
  }
  return { family: BASELINE_FAMILY.name, entity: flow.srcIp, position, fold: { add } };
}

/** The moments of each baseline feature held in a key's state (empty moments where absent). */
export function baselineMoments(state: KeyState | undefined): Record<string, MomentsState> {
  const out: Record<string, MomentsState> = {};
  for (const f of FIELDS) {
    out[f.name] = {
      count: state?.fields[f.count] ?? 0,
      sum: state?.fields[f.sum] ?? 0,
      sumSq: state?.fields[f.sumSq] ?? 0,
    };
  }
  return out;
}

/** Count, mean, variance and std of each baseline feature, NaN where no value was seen. */
export function baselineStats(state: KeyState | undefined): Record<string, MomentsOutput> {
  const out: Record<string, MomentsOutput> = {};
  for (const [name, m] of Object.entries(baselineMoments(state))) out[name] = moments.finalize(m);
  return out;
}
