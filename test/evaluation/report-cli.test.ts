import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { EvaluationReport } from '../../src/evaluation/metrics.js';
import { REPORT_CHARTS } from '../../src/evaluation/report-html.js';
import { readManifest } from '../../src/inference/model-store.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { resolveModelDir } from '../../src/registry/resolve-model.js';
import { chartFigure, statedBinRows, statedMetric, writeReportSample } from './report-fixture.js';

const run = promisify(execFile);
const VIGIL = join(PACKAGE_ROOT, 'bin', 'vigil.js');

describe('vigil evaluate --report', () => {
  it('writes the HTML report and leaves the --json output byte-for-byte as it was', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-report-cli-'));
    const data = writeReportSample(dir);
    const reportFile = join(dir, 'report.html');
    const args = [VIGIL, 'evaluate', '--data', data, '--model', 'v1', '--json'];
    const [plain, withReport] = [
      await run(process.execPath, args, { cwd: PACKAGE_ROOT }),
      await run(process.execPath, [...args, '--report', reportFile], { cwd: PACKAGE_ROOT }),
    ];
    expect(withReport.stdout).toBe(plain.stdout);
    expect(withReport.stdout.trimEnd().split('\n')).toHaveLength(1);

    expect(existsSync(reportFile)).toBe(true);
    const json = JSON.parse(withReport.stdout) as EvaluationReport;
    const html = readFileSync(reportFile, 'utf8');
    expect(statedMetric(html, 'macroF1')?.value).toBe(json.macroF1);
    expect(statedMetric(html, 'benignFPR')?.value).toBe(json.benignFPR);
    expect(statedBinRows(html).reduce((s, v) => s + v, 0)).toBe(json.rows);
    const drawn = REPORT_CHARTS.filter((name) => chartFigure(html, name)?.startsWith('<svg'));
    // Learning curves only from a manifest that recorded the history (v1 predates it).
    const manifest = await readManifest(resolveModelDir('v1'));
    const expected = REPORT_CHARTS.filter((name) => name !== 'learning-curves' || manifest.metrics['history'] !== undefined);
    expect(drawn).toEqual(expected);
    expect(withReport.stderr).toContain(`report written to ${reportFile}`);
  });

  it('refuses a report path in a missing directory before scoring anything', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-report-cli-'));
    const reportFile = join(dir, 'missing', 'report.html');
    await expect(
      run(process.execPath, [VIGIL, 'evaluate', '--data', writeReportSample(dir), '--json', '--report', reportFile], { cwd: PACKAGE_ROOT }),
    ).rejects.toMatchObject({ code: 1, stdout: '', stderr: expect.stringContaining(`--report ${reportFile}`) });
    expect(existsSync(reportFile)).toBe(false);
  });
});
