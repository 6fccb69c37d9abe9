import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sampleLines } from '../helpers/sample.js';

/**
 * About 300 real labelled rows for report tests: every 10th of the sample's first 3000, since
 * the sample is time-ordered and its first rows are all of one attack type.
 */
export function writeReportSample(dir: string): string {
  const { header, lines } = sampleLines(3000);
  const file = join(dir, 'labelled.csv');
  writeFileSync(file, [header, ...lines.filter((_, i) => i % 10 === 0)].join('\n') + '\n');
  return file;
}

/** The HTML of one `<figure data-chart="name">`, or undefined. */
export function chartFigure(html: string, name: string): string | undefined {
  return new RegExp(`<figure data-chart="${name}">([\\s\\S]*?)</figure>`).exec(html)?.[1];
}

/** `data-value` of the element stating `data-metric="name"`, and its shown text. */
export function statedMetric(html: string, name: string): { value: number; shown: string } | undefined {
  const m = new RegExp(`data-metric="${name}" data-value="([^"]+)">([^<]*)<`).exec(html);
  return m ? { value: Number(m[1]), shown: m[2]! } : undefined;
}

/** Rows per calibration bin as the report's bin table states them. */
export function statedBinRows(html: string): number[] {
  return [...html.matchAll(/data-bin-rows="(\d+)"/g)].map((m) => Number(m[1]));
}
