/**
 * What a feature group reads intelligence through: a synchronous lookup on data already in
 * memory. It never waits and never does I/O, so a group's `step` stays pure with respect to
 * what the lookup holds at scoring time. Providers that fetch (remote-lookup.ts) fill their
 * memory asynchronously, between events; a key they do not hold yet answers `undefined`.
 */
export interface KeyLookup {
  /** The value for `key` (an IP address, a domain), or undefined when nothing is known. */
  lookup(key: string): number | undefined;
}

/** A fixed lookup over given entries: a recorded snapshot to replay, or a test's data. */
export function staticLookup(entries: Iterable<readonly [string, number]>): KeyLookup {
  const values = new Map(entries);
  return { lookup: (key) => values.get(key) };
}
