import { THREAT_CLASSES } from '../events/threat-classes.js';
import type { OfflineStore, RetrainRun } from '../store/offline-store.js';

/** Every retrain run in the store, oldest first. */
export async function readRetrainHistory(store: Pick<OfflineStore, 'scan'>): Promise<RetrainRun[]> {
  const runs: RetrainRun[] = [];
  for await (const batch of store.scan('retrain_runs')) runs.push(...batch);
  return runs;
}

/** Short class names for table headers, THREAT_CLASSES order. */
const SHORT: Record<string, string> = { normal: 'nor', dos: 'dos', recon: 'rec', brute_force: 'bf', web_attack: 'web', botnet: 'bot', intrusion: 'int' };

const signed = (x: number): string => (x >= 0 ? '+' : '') + x.toFixed(4);
const utc = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * One line per run, aligned: when, which candidate replaced (or not) which parent, its
 * hold-out macro-F1 and gain over the parent on the same rows, per-class recall, samples
 * used and why it ran; a refused run's reason on the line below it.
 */
export function formatRetrainHistory(runs: readonly RetrainRun[]): string {
  if (runs.length === 0) return 'retrain history: no retrain has run yet';
  const header = ['started', 'candidate', 'parent', 'outcome', 'macro-F1', 'gain', ...THREAT_CLASSES.map((c) => `${SHORT[c] ?? c}-rec`), 'samples', 'triggers'];
  const rows = runs.map((r) => [
    utc(r.ts),
    r.candidateVersion,
    r.parentVersion ?? '-',
    r.outcome,
    r.macroF1.toFixed(4),
    r.macroF1Gain === null ? '-' : signed(r.macroF1Gain),
    ...r.recall.map((x) => x.toFixed(3)),
    String(r.sampleRows),
    r.triggers.join('; ') || '-',
  ]);
  const table = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  const out = ['retrain history', line(header)];
  runs.forEach((r, i) => {
    out.push(line(rows[i]!));
    if (r.outcome === 'rejected') out.push(`    rejected: ${r.reason}`);
  });
  return out.join('\n');
}
