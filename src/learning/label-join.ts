/**
 * The point-in-time join of the training collector, as pure functions: a decoded label and
 * the vector its event was scored with (the latest one at or before the label's time, as
 * OfflineStore.vectorsAsOf answers) become one training sample; a label whose event has no
 * such vector becomes a dead letter with the reason code `unknown-event`.
 */
import type { Label } from '../kafka/label-codec.js';
import type { BadInput, Position } from '../sources/record.js';
import type { FeatureVectorRow, TrainingSample, VectorLookup } from '../store/offline-store.js';

/** A label that decoded cleanly, with where it came from and its text, for dead letters. */
export interface LabelRecord {
  label: Label;
  position: Position;
  raw: string;
}

export const UNKNOWN_EVENT = 'unknown-event';

/** The lookup that finds the vector a label applies to: its event as of the label's time. */
export function vectorLookupOf(label: Label): VectorLookup {
  return { eventId: label.event_key, asOfMs: label.ts };
}

export function trainingSampleOf(label: Label, vector: FeatureVectorRow): TrainingSample {
  return {
    eventKey: label.event_key,
    ts: label.ts,
    // A copy: the store may hand out a typed array it reuses.
    features: Array.from(vector.vector),
    label: label.label,
    mlLabel: vector.verdictClass,
    featureVersion: vector.featureVersion,
    modelVersion: vector.modelVersion,
    source: label.source,
    threatScore: label.threat_score,
  };
}

export function unknownEventLetter(record: LabelRecord): BadInput {
  const { event_key, ts } = record.label;
  return {
    position: record.position,
    reason: `${UNKNOWN_EVENT}: no vector was scored for event ${JSON.stringify(event_key)} at or before ${new Date(ts).toISOString()}`,
    raw: record.raw,
  };
}

export interface JoinedLabels {
  samples: TrainingSample[];
  /** Labels without a vector, in input order. */
  unknown: LabelRecord[];
}

/**
 * Pairs `records[i]` with `vectors[i]` (the answer to `vectorLookupOf(records[i].label)`).
 * The arrays must be of one length: a shorter answer is a store bug, not an unknown event.
 */
export function joinLabels(records: readonly LabelRecord[], vectors: readonly (FeatureVectorRow | undefined)[]): JoinedLabels {
  if (vectors.length !== records.length) {
    throw new RangeError(`joinLabels: expected ${records.length} vector answers, got ${vectors.length}`);
  }
  const joined: JoinedLabels = { samples: [], unknown: [] };
  records.forEach((record, i) => {
    const vector = vectors[i];
    if (vector) joined.samples.push(trainingSampleOf(record.label, vector));
    else joined.unknown.push(record);
  });
  return joined;
}
