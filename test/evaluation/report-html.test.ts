import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLabeledFlows } from '../../src/datasets/labeled-flows.js';
import { ModelError } from '../../src/errors/vigil-error.js';
import { emptyReliabilityTally, reliabilityOf, tallyReliability, type Reliability } from '../../src/evaluation/calibration.js';
import { evaluatePredictions, type EvaluationReport } from '../../src/evaluation/metrics.js';
import { NO_HISTORY_TEXT, REPORT_CHARTS, renderHtmlReport, type HtmlReportInput } from '../../src/evaluation/report-html.js';
import { initBackend } from '../../src/inference/backend.js';
import { loadClassifier, type Classifier } from '../../src/inference/classifier.js';
import { readManifest, type ModelManifest } from '../../src/inference/model-store.js';
import { resolveModelDir } from '../../src/registry/resolve-model.js';
import { chartFigure, statedBinRows, statedMetric, writeReportSample } from './report-fixture.js';

/** The model's manifest with the history replaced (or removed, when undefined). */
function withHistory(manifest: ModelManifest, history: unknown, bestEpoch?: number): ModelManifest {
  const { history: _dropped, ...metrics } = manifest.metrics;
  return { ...manifest, metrics: { ...metrics, ...(history === undefined ? {} : { history }), ...(bestEpoch === undefined ? {} : { bestEpoch }) } };
}

describe('HTML evaluation report of a real run (models/v1, ~300 sample rows)', () => {
  let classifier: Classifier;
  let input: HtmlReportInput;
  let evaluation: EvaluationReport;
  let reliability: Reliability;
  let html: string;

  beforeAll(async () => {
    const file = writeReportSample(mkdtempSync(join(tmpdir(), 'vigil-report-')));
    await initBackend('auto');
    const modelDir = resolveModelDir('v1');
    classifier = await loadClassifier(modelDir);
    const data = await loadLabeledFlows([file]);
    const { probs, predicted } = classifier.predictBatch(data.x, data.rows);
    evaluation = evaluatePredictions(data.y, predicted, classifier.version);
    const tally = emptyReliabilityTally();
    tallyReliability(tally, probs, predicted, data.y, classifier.classes.length);
    reliability = reliabilityOf(tally);
    input = {
      evaluation,
      reliability,
      manifest: withHistory(await readManifest(modelDir), undefined),
      data: { files: [file], bad: data.bad, unlabeled: data.unlabeled },
    };
    html = await renderHtmlReport(input);
  });
  afterAll(() => classifier?.dispose());

  it('draws an inline SVG per chart, and says so when the model recorded no training history', () => {
    expect(evaluation.rows).toBeGreaterThan(250);
    for (const name of REPORT_CHARTS.filter((c) => c !== 'learning-curves')) {
      expect(chartFigure(html, name), name).toMatch(/^<svg[\s\S]*<\/svg>/);
    }
    expect(chartFigure(html, 'learning-curves')).toBeUndefined();
    expect(html).toContain(NO_HISTORY_TEXT);
  });

  it('references nothing outside the file: no scripts, links, URLs in attributes or CSS', () => {
    // Matches, not the page, go to expect: a failure should not print 80 kB of SVG.
    expect(html.match(/<script|<link|<img|<iframe|@import/i)?.[0]).toBeUndefined();
    // url(#id) points inside the document (Vega's legend gradient); anything else would not.
    expect(html.match(/url\(\s*['"]?(?!#)/i)?.[0]).toBeUndefined();
    expect(html.match(/\b(?:src|href|xlink:href)\s*=\s*["']?(?:https?:)?\/\//i)?.[0]).toBeUndefined();
    // The only URLs left are SVG's XML namespace names, which are never fetched.
    const urls = [...html.matchAll(/(\S*)["']?(https?:\/\/[^"'\s>]*)/g)];
    expect(urls.length).toBeGreaterThan(0);
    for (const [, attr, url] of urls) expect(`${attr}${url}`).toMatch(/^xmlns(?::xlink)?="http:\/\/www\.w3\.org\/(?:2000\/svg|1999\/xlink)$/);
  });

  it('states the numbers of the EvaluationReport it was given', () => {
    const macro = statedMetric(html, 'macroF1');
    expect(macro?.value).toBe(evaluation.macroF1);
    expect(macro?.shown).toBe(evaluation.macroF1.toFixed(4));
    expect(statedMetric(html, 'benignFPR')?.value).toBe(evaluation.benignFPR);
    expect(statedMetric(html, 'rows')?.value).toBe(evaluation.rows);
    expect(statedMetric(html, 'ece')?.value).toBe(reliability.ece);
    expect(html).toContain(`<title>vigil evaluation: model ${evaluation.model}</title>`);
  });

  it('has calibration bins whose rows add up to the rows scored', () => {
    const rows = statedBinRows(html);
    expect(rows).toEqual(reliability.bins.map((b) => b.rows));
    expect(rows.reduce((s, v) => s + v, 0)).toBe(evaluation.rows);
  });

  it('draws the confusion matrix from the real counts', () => {
    const svg = chartFigure(html, 'confusion')!;
    let cells = 0;
    evaluation.classes.forEach((actual, t) =>
      evaluation.classes.forEach((predicted, p) => {
        const count = evaluation.confusion[t]![p]!;
        expect(svg).toContain(`aria-label="predicted: ${predicted}; actual: ${actual}; label: ${count}`);
        cells += 1;
      }),
    );
    expect(cells).toBe(49);
  });

  it('draws learning curves when the manifest holds the training history', async () => {
    const history = [1, 2, 3].map((epoch) => ({ epoch, loss: 1 / epoch, valLoss: 1.2 / epoch, valMacroF1: 0.5 + epoch / 10, improved: true, seconds: 1 }));
    const page = await renderHtmlReport({ ...input, manifest: withHistory(input.manifest, history, 3) });
    const svg = chartFigure(page, 'learning-curves');
    expect(svg).toMatch(/^<svg/);
    expect(page).not.toContain(NO_HISTORY_TEXT);
    for (const e of history) expect(svg).toContain(`aria-label="epoch: ${e.epoch}; valMacroF1: ${e.valMacroF1}"`);
  });

  it('refuses a malformed training history with a ModelError', async () => {
    await expect(renderHtmlReport({ ...input, manifest: withHistory(input.manifest, [{ epoch: 1, loss: 'x' }]) })).rejects.toBeInstanceOf(ModelError);
  });

  it('escapes text it states, such as file names', async () => {
    const page = await renderHtmlReport({ ...input, data: { ...input.data, files: ['<script>alert(1)</script>.csv'] } });
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;.csv');
  });
});
