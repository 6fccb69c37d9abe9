import type { EvaluationReport } from './metrics.js';

const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
const num = (v: number): string => v.toFixed(4);

function table(header: string[], rows: string[][], leftColumns = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A plain-text rendering of an evaluation report for terminals and logs. */
export function formatReport(report: EvaluationReport): string {
  const perClass = table(
    ['class', 'precision', 'recall', 'f1', 'support'],
    report.classes.map((c) => {
      const m = report.perClass[c];
      return [c, num(m.precision), num(m.recall), num(m.f1), String(m.support)];
    }),
  );
  const confusion = table(
    ['true \\ predicted', ...report.classes],
    report.classes.map((c, i) => [c, ...report.confusion[i]!.map(String)]),
  );
  return [
    `model ${report.model}: ${report.rows} rows`,
    '',
    perClass,
    '',
    `macro-F1    ${num(report.macroF1)}`,
    `benign FPR  ${pct(report.benignFPR)} (normal flows flagged as an attack)`,
    '',
    'confusion (rows = true class, columns = predicted)',
    confusion,
    '',
  ].join('\n');
}
