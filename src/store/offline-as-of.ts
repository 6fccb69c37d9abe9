import { OfflineStoreError } from './offline-errors.js';
import type { FeatureVectorRow, VectorLookup } from './offline-store.js';

/**
 * The point-in-time pick of `OfflineStore.vectorsAsOf`, shared by every store: a store reads
 * the candidate rows (all vectors of the asked event ids up to the latest asOf) in one query,
 * and this decides, per lookup, which one was the scored vector at the lookup's time.
 */

/** Orders two vectors of one event: later ts wins, then the larger feature version, then model version. */
export function newerVector(a: FeatureVectorRow, b: FeatureVectorRow): boolean {
  if (a.ts !== b.ts) return a.ts > b.ts;
  if (a.featureVersion !== b.featureVersion) return a.featureVersion > b.featureVersion;
  return a.modelVersion > b.modelVersion;
}

/** For each lookup, the newest candidate of its event (and key, if given) with ts <= asOfMs. */
export function pickVectorsAsOf(
  lookups: readonly VectorLookup[],
  candidates: readonly FeatureVectorRow[],
): (FeatureVectorRow | undefined)[] {
  const byEvent = new Map<string, FeatureVectorRow[]>();
  for (const row of candidates) {
    const list = byEvent.get(row.eventId);
    if (list) list.push(row);
    else byEvent.set(row.eventId, [row]);
  }
  return lookups.map((lookup) => {
    let best: FeatureVectorRow | undefined;
    for (const row of byEvent.get(lookup.eventId) ?? []) {
      if (row.ts > lookup.asOfMs || (lookup.key !== undefined && row.key !== lookup.key)) continue;
      if (best === undefined || newerVector(row, best)) best = row;
    }
    return best;
  });
}

/** Checks lookups before any query is built from them. */
export function checkLookups(lookups: readonly VectorLookup[]): void {
  lookups.forEach((lookup, i) => {
    if (typeof lookup?.eventId !== 'string' || lookup.eventId.length === 0) {
      throw new OfflineStoreError('vectorsAsOf', `lookup ${i} eventId must be a non-empty string`);
    }
    if (!Number.isSafeInteger(lookup.asOfMs) || lookup.asOfMs < 0) {
      throw new OfflineStoreError('vectorsAsOf', `lookup ${i} asOfMs is ${String(lookup.asOfMs)}, expected epoch ms (a non-negative safe integer)`);
    }
    if (lookup.key !== undefined && typeof lookup.key !== 'string') {
      throw new OfflineStoreError('vectorsAsOf', `lookup ${i} key must be a string when given`);
    }
  });
}
