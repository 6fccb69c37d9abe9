import { describe, expect, it } from 'vitest';
import { pickVectorsAsOf } from '../../src/store/offline-as-of.js';
import type { FeatureVectorRow } from '../../src/store/offline-store.js';
import { mulberry32 } from '../../src/training/rng.js';

const row = (eventId: string, ts: number, extra: Partial<FeatureVectorRow> = {}): FeatureVectorRow => ({
  key: 'k', ts, eventId, featureVersion: 1, vector: [ts], modelVersion: 'm-1', verdictClass: 'normal', ...extra,
});

describe('pickVectorsAsOf', () => {
  it('matches a brute-force search on generated histories', () => {
    const rng = mulberry32(8);
    const candidates = Array.from({ length: 400 }, () => row(`e${Math.floor(rng() * 30)}`, Math.floor(rng() * 1_000), { key: rng() < 0.5 ? 'a' : 'b' }));
    const lookups = Array.from({ length: 200 }, () => ({
      eventId: `e${Math.floor(rng() * 35)}`,
      asOfMs: Math.floor(rng() * 1_100),
      ...(rng() < 0.5 ? { key: rng() < 0.5 ? 'a' : 'b' } : {}),
    }));
    const picked = pickVectorsAsOf(lookups, candidates);
    lookups.forEach((l, i) => {
      const eligible = candidates.filter((c) => c.eventId === l.eventId && c.ts <= l.asOfMs && (l.key === undefined || c.key === l.key));
      const latest = Math.max(...eligible.map((c) => c.ts));
      if (eligible.length === 0) expect(picked[i]).toBeUndefined();
      else expect(picked[i]?.ts).toBe(latest);
    });
    expect(picked.filter(Boolean).length).toBeGreaterThan(50);
  });

  it('picks the same row whatever order the candidates come in', () => {
    const rows = [row('t', 5, { featureVersion: 1 }), row('t', 5, { featureVersion: 2, modelVersion: 'm-1' }), row('t', 5, { featureVersion: 2, modelVersion: 'm-2' }), row('t', 4)];
    for (const order of [rows, [...rows].reverse(), [rows[2]!, rows[0]!, rows[3]!, rows[1]!]]) {
      expect(pickVectorsAsOf([{ eventId: 't', asOfMs: 9 }], order)[0]).toBe(rows[2]);
    }
  });
});
