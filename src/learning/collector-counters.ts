/**
 * What the training collector has made durable so far. Every record read lands in exactly
 * one of collected, unknownEvent and bad, so `records = collected + unknownEvent + bad`.
 */
export interface CollectorCounters {
  /** Micro-batches made durable and acknowledged. */
  batches: number;
  /** Label records read (good and bad) in those batches. */
  records: number;
  /** Training samples written. */
  collected: number;
  /** Labels dead-lettered because no vector was scored for their event by their time. */
  unknownEvent: number;
  /** Records dead-lettered because they did not decode as labels. */
  bad: number;
  /** collected and unknownEvent per label source ("analyst", "council", ...). */
  bySource: Record<string, { collected: number; unknownEvent: number }>;
}

export function emptyCounters(): CollectorCounters {
  return { batches: 0, records: 0, collected: 0, unknownEvent: 0, bad: 0, bySource: {} };
}

/** The outcome of one durable micro-batch, by label source. */
export interface BatchOutcome {
  records: number;
  collectedSources: readonly string[];
  unknownSources: readonly string[];
  bad: number;
}

/** Adds a durable batch to the counters, in place. */
export function countBatch(counters: CollectorCounters, outcome: BatchOutcome): void {
  counters.batches += 1;
  counters.records += outcome.records;
  counters.collected += outcome.collectedSources.length;
  counters.unknownEvent += outcome.unknownSources.length;
  counters.bad += outcome.bad;
  const of = (source: string) => (counters.bySource[source] ??= { collected: 0, unknownEvent: 0 });
  for (const source of outcome.collectedSources) of(source).collected += 1;
  for (const source of outcome.unknownSources) of(source).unknownEvent += 1;
}

/** A deep copy, so callers cannot change the collector's own counts. */
export function snapshotCounters(counters: CollectorCounters): CollectorCounters {
  return {
    ...counters,
    bySource: Object.fromEntries(Object.entries(counters.bySource).map(([source, c]) => [source, { ...c }])),
  };
}
