/**
 * The algebra every aggregator follows, after Chronon's BaseAggregator: working state is kept
 * apart from output, and the same four functions serve the live path (one event at a time),
 * tiles (partial states merged at read time) and backfill (a replay through `update`).
 *
 * 1. `init()` gives the state of no events.
 * 2. `update(state, value, ts)` folds one event in; `ts` is event time, epoch ms.
 * 3. `merge(a, b)` combines the states of two disjoint sets of events. It is associative, and
 *    `b` is taken as the later of the two where order matters (ties of `lastSeen`).
 * 4. `finalize(state)` turns a state into the value a feature reads.
 *
 * Reversible aggregators (count, sum, moments) can also `remove` an event, so a sliding window
 * may subtract what leaves it; combine-only ones (min, max, last seen, distinct count, damped
 * statistics) cannot, and are windowed by merging tiles instead.
 *
 * Every function is pure: it returns a new state (or the same one when nothing changed) and
 * never mutates its arguments, so states can be shared between tiles and reads.
 *
 * Numeric aggregators ignore a value that is not finite: by the missing-value rule of feature
 * version 1 (src/vector/sanitize.ts) NaN marks a gap, not an observation.
 */
interface AggregatorBase<S, I, O> {
  /** Short name, used in messages and field names. */
  readonly name: string;
  init(): S;
  update(state: S, value: I, ts: number): S;
  merge(a: S, b: S): S;
  finalize(state: S): O;
}

/** An aggregator that can only add events (min, max, last seen, sketches). */
export interface CombineOnlyAggregator<S, I, O> extends AggregatorBase<S, I, O> {
  readonly reversible: false;
}

/** An aggregator that can also take an event back out, exactly undoing its `update`. */
export interface ReversibleAggregator<S, I, O> extends AggregatorBase<S, I, O> {
  readonly reversible: true;
  remove(state: S, value: I, ts: number): S;
}

export type Aggregator<S, I, O> = CombineOnlyAggregator<S, I, O> | ReversibleAggregator<S, I, O>;

// `any` here only lets the helper types below accept every aggregator; they never produce it.
export type AnyAggregator<I = any> = Aggregator<any, I, any>;
export type StateOf<A> = A extends Aggregator<infer S, any, any> ? S : never;
export type OutputOf<A> = A extends Aggregator<any, any, infer O> ? O : never;

/** One event as the aggregators see it: a value at an event time (epoch ms). */
export interface TimedValue<I> {
  readonly value: I;
  readonly ts: number;
}

/** Folds `events` in order into `from` (an empty state by default): the backfill path. */
export function foldEvents<S, I, O>(
  aggregator: Aggregator<S, I, O>,
  events: Iterable<TimedValue<I>>,
  from: S = aggregator.init(),
): S {
  let state = from;
  for (const e of events) state = aggregator.update(state, e.value, e.ts);
  return state;
}
