/**
 * The evaluation report as one self-contained HTML page (`vigil evaluate --report FILE.html`):
 * inline CSS and inline SVG charts only, no script, stylesheet, font or image from anywhere
 * else, so it opens offline and can be attached to a ticket as it is.
 *
 * Stated numbers carry `data-metric` and `data-value` (full precision) so a test or a script
 * can check them against the `--json` report.
 */
import { ModelError } from '../errors/vigil-error.js';
import type { ModelManifest } from '../inference/model-store.js';
import type { Reliability } from './calibration.js';
import type { EvaluationReport } from './metrics.js';
import {
  confusionHeatmapSpec,
  learningCurvesSpec,
  perClassBarsSpec,
  reliabilitySpec,
  renderChartSvg,
  type TrainingEpoch,
} from './report-charts.js';

export interface HtmlReportInput {
  evaluation: EvaluationReport;
  reliability: Reliability;
  /** The evaluated model's manifest: its training config and, when recorded, its history. */
  manifest: ModelManifest;
  /** What was scored: the input files and the rows skipped while loading them. */
  data: { files: readonly string[]; bad: number; unlabeled: Readonly<Record<string, number>> };
  /** Stated in the report; defaults to now. */
  generatedAt?: Date;
}

/** The chart names, as `data-chart` on each figure. */
export const REPORT_CHARTS = ['confusion', 'per-class', 'reliability', 'learning-curves'] as const;

export const NO_HISTORY_TEXT = 'no history recorded';

const HISTORY_FIELDS = ['epoch', 'loss', 'valLoss', 'valMacroF1'] as const;

/**
 * The per-epoch history `vigil train` keeps in manifest.metrics.history; undefined when the
 * model was saved without one. A history that is there but malformed is a ModelError.
 */
export function trainingHistory(manifest: ModelManifest): TrainingEpoch[] | undefined {
  const history = manifest.metrics['history'];
  if (history === undefined) return undefined;
  if (!Array.isArray(history)) throw new ModelError(`model ${manifest.version}: manifest metrics.history is not an array`);
  return history.map((entry: unknown, i): TrainingEpoch => {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    for (const field of HISTORY_FIELDS) {
      if (typeof e[field] !== 'number' || !Number.isFinite(e[field])) {
        throw new ModelError(`model ${manifest.version}: manifest metrics.history[${i}].${field} is not a finite number`);
      }
    }
    return { epoch: e['epoch'] as number, loss: e['loss'] as number, valLoss: e['valLoss'] as number, valMacroF1: e['valMacroF1'] as number };
  });
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!);

const fixed = (v: number): string => v.toFixed(4);
const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;

/** A stated number: shown rounded, with its full value alongside for machines. */
function metric(name: string, label: string, value: number, shown: string, note: string): string {
  return (
    `<div class="card"><dt>${escapeHtml(label)}</dt>` +
    `<dd data-metric="${name}" data-value="${value}">${escapeHtml(shown)}</dd><p>${escapeHtml(note)}</p></div>`
  );
}

function figure(name: (typeof REPORT_CHARTS)[number], svg: string, caption: string): string {
  return `<figure data-chart="${name}">${svg}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

/** A table of escaped cells; no header row when `header` is empty; `attrs` adds attributes to row i. */
function table(header: readonly string[], rows: readonly string[][], attrs: (i: number) => string = () => ''): string {
  const head = header.length ? `<thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>` : '';
  const body = rows.map((r, i) => `<tr${attrs(i)}>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('');
  return `<table>${head}<tbody>${body}</tbody></table>`;
}

function accuracyOf(report: EvaluationReport): number {
  const correct = report.confusion.reduce((s, row, i) => s + row[i]!, 0);
  return report.rows === 0 ? 0 : correct / report.rows;
}

function modelSection(manifest: ModelManifest, input: HtmlReportInput): string {
  const config = manifest.trainingConfig;
  const skipped = Object.entries(input.data.unlabeled).map(([label, n]) => `${label}: ${n}`);
  const rows: string[][] = [
    ['model version', manifest.version],
    ['model created', manifest.createdAt],
    ['features', `${manifest.featureLayout} (version ${manifest.featureVersion}, ${manifest.dims} inputs)`],
    ['trained on', Array.isArray(config['data']) ? config['data'].map(String).join(', ') : 'not recorded'],
    ['evaluated on', input.data.files.join(', ')],
    ['rows scored', String(input.evaluation.rows)],
    ['rows skipped', `${input.data.bad} not decodable; ${skipped.length ? `no known label (${skipped.join(', ')})` : '0 without a known label'}`],
  ];
  const bestEpoch = manifest.metrics['bestEpoch'];
  if (typeof bestEpoch === 'number') rows.push(['kept epoch', String(bestEpoch)]);
  return `<section><h2>Model and data</h2>${table([], rows)}</section>`;
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1a1a1a;margin:2rem auto;max-width:1100px;padding:0 1rem;line-height:1.4}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.sub{color:#666;margin-top:0}
dl.summary{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.card{border:1px solid #ddd;border-radius:6px;padding:.6rem .9rem;min-width:150px}
.card dt{font-size:.8rem;color:#666}.card dd{margin:0;font-size:1.6rem;font-variant-numeric:tabular-nums}.card p{margin:0;font-size:.75rem;color:#666}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #eee;padding:.25rem .7rem;text-align:left}th{color:#666;font-weight:600}
figure{margin:1rem 0}figure svg{max-width:100%;height:auto}figcaption{font-size:.8rem;color:#666;max-width:760px}
.empty{color:#666;font-style:italic}
`;

/** The whole report page; charts are rendered to SVG here, so it is async. */
export async function renderHtmlReport(input: HtmlReportInput): Promise<string> {
  const { evaluation: report, reliability, manifest } = input;
  if (reliability.rows !== report.rows) {
    throw new RangeError(`reliability covers ${reliability.rows} rows but the evaluation ${report.rows}: they must come from the same predictions`);
  }
  const history = trainingHistory(manifest);
  const bestEpoch = typeof manifest.metrics['bestEpoch'] === 'number' ? manifest.metrics['bestEpoch'] : undefined;
  const [confusionSvg, perClassSvg, reliabilitySvg, curvesSvg] = await Promise.all([
    renderChartSvg(confusionHeatmapSpec(report)),
    renderChartSvg(perClassBarsSpec(report)),
    renderChartSvg(reliabilitySpec(reliability)),
    history && history.length > 0 ? renderChartSvg(learningCurvesSpec(history, bestEpoch)) : Promise.resolve(undefined),
  ]);

  const summary = [
    metric('macroF1', 'macro-F1', report.macroF1, fixed(report.macroF1), `unweighted mean F1 of the ${report.classes.length} classes; an absent class counts 0`),
    metric('benignFPR', 'benign FPR', report.benignFPR, pct(report.benignFPR), 'normal flows flagged as an attack'),
    metric('accuracy', 'accuracy', accuracyOf(report), pct(accuracyOf(report)), 'rows given their true class'),
    metric('ece', 'calibration error (ECE)', reliability.ece, fixed(reliability.ece), `${reliability.bins.length} confidence bins`),
    metric('rows', 'rows', report.rows, String(report.rows), 'labelled rows scored'),
  ].join('');

  const perClassTable = table(
    ['class', 'precision', 'recall', 'F1', 'support'],
    report.classes.map((c) => {
      const m = report.perClass[c];
      return [c, fixed(m.precision), fixed(m.recall), fixed(m.f1), String(m.support)];
    }),
  );
  const binTable = table(
    ['confidence', 'rows', 'mean confidence', 'accuracy'],
    reliability.bins.map((b) => [
      `${b.lower.toFixed(2)}–${b.upper.toFixed(2)}`,
      String(b.rows),
      b.meanConfidence === null ? '–' : fixed(b.meanConfidence),
      b.accuracy === null ? '–' : fixed(b.accuracy),
    ]),
    (i) => ` data-bin-rows="${reliability.bins[i]!.rows}"`,
  );
  const curves = curvesSvg
    ? figure(
        'learning-curves',
        curvesSvg,
        `${history!.length} epochs. Training loss is class-weighted and taken with dropout on, so it is not on the same footing as the validation loss; compare their trends.`,
      )
    : `<p class="empty" data-chart-missing="learning-curves">${NO_HISTORY_TEXT}: this model's manifest has no per-epoch training history (models saved by <code>vigil train</code> before it kept one).</p>`;

  const title = `vigil evaluation: model ${manifest.version}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="sub">generated ${escapeHtml((input.generatedAt ?? new Date()).toISOString())} by vigil evaluate</p>
<section><h2>Summary</h2><dl class="summary">${summary}</dl></section>
${modelSection(manifest, input)}
<section><h2>Confusion matrix</h2>
${figure('confusion', confusionSvg, 'Counts of rows by true class (row) and predicted class (column); colour and the percentage are the share of the true class, so each row sums to 100%.')}
</section>
<section><h2>Per-class metrics</h2>
${figure('per-class', perClassSvg, 'Precision: share of rows predicted as the class that are of it. Recall: share of the class found. A class with no rows scores 0 and pulls macro-F1 down.')}
${perClassTable}
</section>
<section><h2>Calibration</h2>
${figure('reliability', reliabilitySvg, 'Rows binned by the probability of the class they were given. Bars: accuracy in each bin; dots: mean confidence; on the dashed diagonal confidence equals accuracy. Below the diagonal the model is over-confident.')}
${binTable}
</section>
<section><h2>Learning curves</h2>
${curves}
</section>
</body>
</html>
`;
}
