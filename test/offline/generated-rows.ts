import { THREAT_CLASSES, type ThreatClass } from '../../src/events/threat-classes.js';
import type { Verdict } from '../../src/events/verdict.js';
import type { EventRow, FeatureVectorRow, OfflineRows, OfflineTable, RetrainRun, TrainingSample } from '../../src/store/offline-store.js';
import { mulberry32, type Rng } from '../../src/training/rng.js';

/** Doubles that text round trips get wrong: thirds, subnormals, extremes, negative zero. */
export const AWKWARD_DOUBLES = [
  0.1, 1 / 3, -2 / 3, Math.PI, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308,
  -0, 0, 9007199254740993, 123456789.12345679, 1e-300, 4.012530230217262e-17,
];

export const T0 = 1_700_000_000_000;

/** A double of random sign, mantissa and decimal exponent in 1e-20..1e20. */
function randomDouble(rng: Rng): number {
  return (rng() - 0.5) * 10 ** Math.floor(rng() * 40 - 20);
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]!;
}

export function randomVector(rng: Rng, dims: number): number[] {
  return Array.from({ length: dims }, () => randomDouble(rng));
}

const ips = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${i >> 8}.${i & 255}`);

/** `n` rows of `table`, keys from `keys` source IPs, ts spread over a minute from T0, in random order. */
export function generatedRows<T extends OfflineTable>(table: T, seed: number, n: number, keys = 5): OfflineRows[T][] {
  const rng = mulberry32(seed);
  const keyList = ips(keys);
  const rows = Array.from({ length: n }, (_, i) => {
    const key = pick(rng, keyList);
    const ts = T0 + Math.floor(rng() * 60_000);
    const eventId = `ev-${seed}-${i}`;
    const cls: ThreatClass = pick(rng, THREAT_CLASSES);
    return makeRow(table, rng, { key, ts, eventId, cls, i });
  });
  return rows as OfflineRows[T][];
}

function makeRow(table: OfflineTable, rng: Rng, at: { key: string; ts: number; eventId: string; cls: ThreatClass; i: number }): OfflineRows[OfflineTable] {
  switch (table) {
    case 'events':
      return {
        key: at.key, ts: at.ts, eventId: at.eventId, kind: at.i % 3 === 0 ? 'dns' : 'flow',
        payload: JSON.stringify({ srcIp: at.key, bytes: Math.floor(rng() * 1e6), note: 'caf\u00e9 \u2603' }),
      } satisfies EventRow;
    case 'feature_vectors':
      return {
        key: at.key, ts: at.ts, eventId: at.eventId, featureVersion: 1 + (at.i % 2),
        vector: at.i === 0 ? AWKWARD_DOUBLES : randomVector(rng, at.i % 2 === 0 ? 79 : 100),
        modelVersion: `m-${1 + (at.i % 3)}`, verdictClass: at.cls,
      } satisfies FeatureVectorRow;
    case 'verdicts': {
      const raw = THREAT_CLASSES.map(() => rng());
      const sum = raw.reduce((a, b) => a + b, 0);
      return {
        eventKey: at.eventId, srcIp: at.key, class: at.cls,
        probabilities: Object.fromEntries(THREAT_CLASSES.map((c, k) => [c, raw[k]! / sum])) as Record<ThreatClass, number>,
        modelVersion: 'm-1', featureVersion: 1, latencyMs: rng() * 5, ts: at.ts, scoredAt: at.ts + 3,
      } satisfies Verdict;
    }
    case 'training_samples':
      return {
        eventKey: at.eventId, ts: at.ts, features: randomVector(rng, 79), label: at.cls, mlLabel: pick(rng, THREAT_CLASSES),
        featureVersion: 1, modelVersion: 'm-2', source: at.i % 2 === 0 ? 'analyst' : 'council',
        threatScore: at.i % 3 === 0 ? null : rng() * 100,
      } satisfies TrainingSample;
    case 'retrain_runs': {
      const metrics = () => THREAT_CLASSES.map(() => rng());
      const parent = at.i % 4 === 0 ? null : `m-${at.i}`;
      const macroF1 = rng();
      const parentMacroF1 = parent === null ? null : rng();
      return {
        runId: `run-${at.eventId}`, ts: at.ts, finishedAt: at.ts + 1_000, triggers: at.i % 2 === 0 ? ['new-samples: 60 >= 50'] : [],
        baseRows: 1 + Math.floor(rng() * 1e6), sampleRows: Math.floor(rng() * 1e4), candidateVersion: `c-${at.i}`, parentVersion: parent,
        outcome: at.i % 3 === 0 ? 'rejected' : 'promoted', reason: 'macro-F1 \u2603', holdoutRows: 700, macroF1, parentMacroF1,
        macroF1Gain: parentMacroF1 === null ? null : macroF1 - parentMacroF1, benignFPR: rng(), precision: metrics(), recall: metrics(), f1: metrics(),
      } satisfies RetrainRun;
    }
  }
}

/** Rows as a store returns them: arrays plain, everything else as given. */
export function asStored<T>(row: T): T {
  const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
  for (const [k, v] of Object.entries(out)) if (ArrayBuffer.isView(v)) out[k] = Array.from(v as Float64Array);
  return out as T;
}

/** The bytes of each double: equal only if every value is bit-identical (-0 vs 0, NaN payloads). */
export function doubleBits(values: ArrayLike<number>): string {
  return Buffer.from(Float64Array.from(values).buffer).toString('hex');
}

/** Sort order of scans: ts, then key, then event id. */
export function scanOrder<T>(ts: (r: T) => number, ...ties: ((r: T) => string)[]): (a: T, b: T) => number {
  return (a, b) => {
    if (ts(a) !== ts(b)) return ts(a) - ts(b);
    for (const tie of ties) {
      const x = tie(a);
      const y = tie(b);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
}
