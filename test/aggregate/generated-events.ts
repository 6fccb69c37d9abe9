import type { TimedValue } from '../../src/aggregate/aggregator.js';
import { mulberry32, type Rng } from '../../src/training/rng.js';

/**
 * Seeded event streams for comparing aggregators with their naive references: values spread
 * over several magnitudes with ~5% gaps (NaN), times mostly increasing with some out of order.
 */
/** `disorderMs`: how far behind the stream's time one event in ten may arrive. */
export function numericEvents(seed: number, n: number, startMs = 1_700_000_000_000, disorderMs = 5_000): TimedValue<number>[] {
  const rng = mulberry32(seed);
  let ts = startMs;
  const out: TimedValue<number>[] = [];
  for (let i = 0; i < n; i++) {
    ts += Math.floor(rng() * 2000);
    const jitter = rng() < 0.1 ? -Math.floor(rng() * disorderMs) : 0;
    const value = rng() < 0.05 ? Number.NaN : (rng() - 0.2) * 10 ** Math.floor(rng() * 4);
    out.push({ value, ts: ts + jitter });
  }
  return out;
}

/** `n` events whose values are drawn from `distinct` possible IP-like strings. */
export function keyedEvents(seed: number, n: number, distinct: number): TimedValue<string>[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const k = Math.floor(rng() * distinct);
    return { value: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`, ts: 1_700_000_000_000 + i * 10 };
  });
}

export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Relative closeness for floats computed in different orders; NaN matches NaN. */
export function expectClose(actual: number, expected: number, relative = 1e-9): void {
  if (Number.isNaN(expected)) {
    if (!Number.isNaN(actual)) throw new Error(`expected NaN, got ${actual}`);
    return;
  }
  const tolerance = relative * Math.max(1, Math.abs(expected));
  if (!(Math.abs(actual - expected) <= tolerance)) throw new Error(`expected ${expected} ± ${tolerance}, got ${actual}`);
}

/** expectClose on every numeric property of two records with the same keys. */
export function expectRecordClose(actual: object, expected: object, relative = 1e-9): void {
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  const keys = Object.keys(e).sort();
  if (Object.keys(a).sort().join() !== keys.join()) throw new Error(`keys differ: ${Object.keys(a)} vs ${keys}`);
  for (const k of keys) {
    const v = e[k];
    if (typeof v === 'number') {
      try {
        expectClose(a[k] as number, v, relative);
      } catch (error) {
        throw new Error(`${k}: ${(error as Error).message}`);
      }
    } else if (a[k] !== v) throw new Error(`${k}: expected ${String(v)}, got ${String(a[k])}`);
  }
}
