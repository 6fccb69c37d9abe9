/**
 * The evaluation report's charts as Vega-Lite specs (pure data in, spec out), and one renderer
 * that turns a spec into a standalone SVG string in Node. Rendering uses Vega's headless
 * 'none' renderer, so no canvas, browser or font file is needed, and the data is always
 * inline: no spec here names a URL, so Vega's loader never reaches for the network.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Reliability } from './calibration.js';
import type { EvaluationReport } from './metrics.js';

/** One epoch of a model's training history, as `vigil train` records it in the manifest. */
export interface TrainingEpoch {
  epoch: number;
  /** Class-weighted training loss (with dropout). */
  loss: number;
  valLoss: number;
  valMacroF1: number;
}

// Fonts the reader's system already has: the report must not fetch one.
const CHART_CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  title: { fontSize: 14, anchor: 'start' as const },
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 11 },
};

const METRIC_ORDER = ['precision', 'recall', 'f1'] as const;

/** Renders a Vega-Lite spec to an SVG document string; the view is released afterwards. */
export async function renderChartSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const percent = (share: number): string => `${(share * 100).toFixed(share >= 0.995 || share === 0 ? 0 : 1)}%`;

/**
 * Heatmap of confusion[true][predicted]: colour is the share of the true class's rows (so a
 * rare class's misses are as visible as a common one's), each cell states its count and share.
 */
export function confusionHeatmapSpec(report: EvaluationReport): TopLevelSpec {
  const cells = report.classes.flatMap((actual, t) => {
    const row = report.confusion[t]!;
    const support = row.reduce((s, v) => s + v, 0);
    return report.classes.map((predicted, p) => {
      const count = row[p]!;
      // A class absent from the data has no shares: its row stays uncoloured.
      const share = support === 0 ? null : count / support;
      // Empty cells say just 0: a page of "0 / 0%" buries the few mistakes.
      return { actual, predicted, count, share, label: share === null || count === 0 ? String(count) : `${count}\n${percent(share)}` };
    });
  });
  const classes = [...report.classes];
  return {
    config: CHART_CONFIG,
    title: { text: 'Confusion matrix', subtitle: 'rows: true class; cell: rows, and share of the true class' },
    data: { values: cells },
    width: { step: 64 },
    height: { step: 44 },
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: classes, axis: { title: 'predicted class', orient: 'top', labelAngle: -30 } },
      y: { field: 'actual', type: 'nominal', sort: classes, axis: { title: 'true class' } },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: '#ffffff', strokeWidth: 1 },
        encoding: {
          color: {
            // Empty cells white, so the off-diagonal mistakes stand out from the blue scale.
            condition: { test: 'datum.count === 0', value: '#ffffff' },
            field: 'share',
            type: 'quantitative',
            scale: { domain: [0, 1], scheme: 'blues' },
            legend: { title: 'share of true class', format: '.0%' },
          },
        },
      },
      {
        mark: { type: 'text', lineBreak: '\n', fontSize: 11 },
        encoding: {
          text: { field: 'label', type: 'nominal' },
          color: { condition: { test: 'datum.share > 0.55', value: '#ffffff' }, value: '#1a1a1a' },
        },
      },
    ],
  };
}

/** Precision, recall and F1 per class as grouped bars; the class axis states each class's support. */
export function perClassBarsSpec(report: EvaluationReport): TopLevelSpec {
  const labelOf = (c: string): string => `${c} (n=${report.perClass[c as keyof typeof report.perClass].support})`;
  const values = report.classes.flatMap((c) => METRIC_ORDER.map((metric) => ({ class: labelOf(c), metric, value: report.perClass[c][metric] })));
  return {
    config: CHART_CONFIG,
    title: { text: 'Per-class precision, recall and F1', subtitle: `macro-F1 ${report.macroF1.toFixed(4)} (unweighted mean of the F1 bars)` },
    data: { values },
    // A fixed width: with xOffset a step would size each of the 21 bars, not each class.
    width: 640,
    height: 260,
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'class', type: 'nominal', sort: report.classes.map(labelOf), axis: { title: null, labelAngle: -25 } },
      xOffset: { field: 'metric', type: 'nominal', sort: [...METRIC_ORDER] },
      y: { field: 'value', type: 'quantitative', scale: { domain: [0, 1] }, axis: { title: null, format: '.1f' } },
      color: { field: 'metric', type: 'nominal', sort: [...METRIC_ORDER], scale: { scheme: 'tableau10' }, legend: { title: null, orient: 'bottom' } },
    },
  };
}

/**
 * Reliability diagram: per confidence bin, observed accuracy (bar) and mean confidence (dot)
 * against the diagonal of perfect calibration, over a histogram of the rows in each bin.
 */
export function reliabilitySpec(reliability: Reliability): TopLevelSpec {
  const bins = reliability.bins.map((b) => ({ ...b, middle: (b.lower + b.upper) / 2 }));
  const confidenceAxis = { field: 'lower', type: 'quantitative' as const, scale: { domain: [0, 1] }, axis: { title: 'top-class probability (confidence)', format: '.1f' } };
  return {
    config: CHART_CONFIG,
    title: { text: 'Reliability (calibration)', subtitle: `expected calibration error ${reliability.ece.toFixed(4)} over ${reliability.rows} rows` },
    data: { values: bins },
    vconcat: [
      {
        width: 420,
        height: 300,
        layer: [
          {
            data: { values: [{ x: 0, y: 0, x2: 1, y2: 1 }] },
            mark: { type: 'rule', strokeDash: [4, 4], color: '#888888' },
            encoding: {
              x: { field: 'x', type: 'quantitative', scale: { domain: [0, 1] } },
              y: { field: 'y', type: 'quantitative', scale: { domain: [0, 1] } },
              x2: { field: 'x2' },
              y2: { field: 'y2' },
            },
          },
          {
            transform: [{ filter: 'datum.rows > 0' }],
            mark: { type: 'rect', color: '#4c78a8', opacity: 0.75, stroke: '#ffffff' },
            encoding: {
              x: confidenceAxis,
              x2: { field: 'upper' },
              y: { field: 'accuracy', type: 'quantitative', scale: { domain: [0, 1] }, axis: { title: 'observed accuracy', format: '.1f' } },
              y2: { datum: 0 },
            },
          },
          {
            transform: [{ filter: 'datum.rows > 0' }],
            mark: { type: 'point', filled: true, color: '#e45756', size: 50 },
            encoding: {
              x: { field: 'meanConfidence', type: 'quantitative' },
              y: { field: 'accuracy', type: 'quantitative' },
            },
          },
        ],
      },
      {
        width: 420,
        height: 110,
        layer: [
          {
            mark: { type: 'rect', color: '#9d9d9d', stroke: '#ffffff' },
            encoding: {
              x: confidenceAxis,
              x2: { field: 'upper' },
              y: { field: 'rows', type: 'quantitative', axis: { title: 'rows in bin' } },
              y2: { datum: 0 },
            },
          },
          {
            transform: [{ filter: 'datum.rows > 0' }],
            mark: { type: 'text', dy: -6, fontSize: 10 },
            encoding: {
              x: { field: 'middle', type: 'quantitative' },
              y: { field: 'rows', type: 'quantitative' },
              text: { field: 'rows', type: 'quantitative' },
            },
          },
        ],
      },
    ],
  };
}

/** Training and validation loss, and validation macro-F1, per epoch; the kept (best) epoch is marked. */
export function learningCurvesSpec(history: readonly TrainingEpoch[], bestEpoch: number | undefined): TopLevelSpec {
  const losses = history.flatMap((e) => [
    { epoch: e.epoch, series: 'training', loss: e.loss },
    { epoch: e.epoch, series: 'validation', loss: e.valLoss },
  ]);
  const best = bestEpoch === undefined ? [] : [{ epoch: bestEpoch }];
  const epochAxis = { field: 'epoch', type: 'quantitative' as const, axis: { title: 'epoch', tickMinStep: 1, format: 'd' } };
  const bestRule = {
    data: { values: best },
    mark: { type: 'rule' as const, strokeDash: [3, 3], color: '#888888' },
    encoding: { x: { field: 'epoch', type: 'quantitative' as const } },
  };
  return {
    config: CHART_CONFIG,
    title: { text: 'Learning curves', subtitle: bestEpoch === undefined ? 'per epoch' : `dashed line: epoch ${bestEpoch}, whose weights the model keeps` },
    hconcat: [
      {
        width: 340,
        height: 240,
        layer: [
          {
            data: { values: losses },
            mark: { type: 'line', point: true },
            encoding: {
              x: epochAxis,
              y: { field: 'loss', type: 'quantitative', axis: { title: 'loss (training: class-weighted)' } },
              color: { field: 'series', type: 'nominal', legend: { title: null, orient: 'bottom' } },
            },
          },
          bestRule,
        ],
      },
      {
        width: 340,
        height: 240,
        layer: [
          {
            data: { values: history.map((e) => ({ epoch: e.epoch, valMacroF1: e.valMacroF1 })) },
            mark: { type: 'line', point: true, color: '#54a24b' },
            encoding: {
              x: epochAxis,
              y: { field: 'valMacroF1', type: 'quantitative', scale: { zero: false }, axis: { title: 'validation macro-F1' } },
            },
          },
          bestRule,
        ],
      },
    ],
  };
}
