import type { Aggregator, AnyAggregator, OutputOf, StateOf } from './aggregator.js';

type StatesOf<P> = { readonly [K in keyof P]: StateOf<P[K]> };
type OutputsOf<P> = { readonly [K in keyof P]: OutputOf<P[K]> };

/**
 * Several aggregators over the same value as one, their states and outputs keyed by the
 * names of `parts` (Chronon's row aggregator, on one column). Reversible only if every part
 * is. The part list is read once here, not per event.
 */
export function product<I, P extends Record<string, AnyAggregator<I>>>(parts: P): Aggregator<StatesOf<P>, I, OutputsOf<P>> {
  const entries = Object.entries(parts) as [keyof P & string, AnyAggregator<I>][];
  const each = <R>(f: (name: keyof P & string, part: AnyAggregator<I>) => R): { [K in keyof P]: R } => {
    const out = {} as { [K in keyof P]: R };
    for (const [name, part] of entries) out[name] = f(name, part);
    return out;
  };
  const base = {
    name: `product(${entries.map(([n]) => n).join(',')})`,
    init: () => each((_, p) => p.init()) as StatesOf<P>,
    update: (s: StatesOf<P>, v: I, ts: number) => each((n, p) => p.update(s[n], v, ts)) as StatesOf<P>,
    merge: (a: StatesOf<P>, b: StatesOf<P>) => each((n, p) => p.merge(a[n], b[n])) as StatesOf<P>,
    finalize: (s: StatesOf<P>) => each((n, p) => p.finalize(s[n])) as OutputsOf<P>,
  };
  const reversibleParts = entries.every(([, p]) => p.reversible);
  if (!reversibleParts) return { ...base, reversible: false };
  return {
    ...base,
    reversible: true,
    remove: (s, v, ts) =>
      each((n, p) => (p.reversible ? p.remove(s[n], v, ts) : s[n])) as StatesOf<P>,
  };
}
