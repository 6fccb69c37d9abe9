/**
 * A feature group: the contract every group of features 80-100 implements, so that the same
 * pure code runs in the streaming topology, in a backfill replayed from the offline store,
 * and when building training sets.
 *
 * A group owns some vector slots (feature N sits at index N-1) and a state. `step` is pure:
 * it never mutates `state`, does no I/O and reads no clock (time comes from the event), so
 * replaying the same events from the same state always gives the same values. State is plain
 * JSON-serialisable data (numbers, strings, arrays, plain objects) so a store can keep it.
 *
 * Scope says what the state is keyed by: `source` — one state per source IP (the event's
 * key); `global` — one state shared by all events (e.g. the communication graph).
 */
export interface FeatureGroup<S, E> {
  readonly name: string;
  /** 1-based feature numbers this group fills, in the order `step` returns their values. */
  readonly slots: readonly number[];
  readonly scope: 'source' | 'global';
  init(): S;
  /** Next state and one finite value per slot (the group applies its own missing-value rules). */
  step(state: S, event: E): { state: S; values: number[] };
  /**
   * For a group that learns from outcomes (feature 83 learns ASN reputation from verdicts):
   * the state with one outcome folded in. Pure, like `step`; global groups only, since an
   * outcome may concern a source this process does not hold.
   */
  observe?(state: S, outcome: Outcome): S;
}

/** What became known about an event of a source: a confident verdict, or a label. */
export interface Outcome {
  readonly srcIp: string;
  readonly isAttack: boolean;
  /** Event time of the event the outcome is about, epoch ms. */
  readonly ts: number;
}

/**
 * Specification of one feature, as kept in `schemas/features-v2/*.json`: enough for a user to
 * know what the number means without reading code.
 */
export interface FeatureSpec {
  /** 1-based feature number (vector index + 1). */
  number: number;
  name: string;
  formula: string;
  /** Window or horizon, e.g. "10 min sliding, 1 min tiles", "per session", "none". */
  window: string;
  /** Value range, e.g. "[0, 1]", "[0, +inf)". */
  range: string;
  /** The value used when the feature cannot be computed, and why that value. */
  missing: string;
}
