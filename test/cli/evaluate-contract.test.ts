import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { THREAT_CLASSES, classOfLabel } from '../../src/events/threat-classes.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { sampleLines } from '../helpers/sample.js';

const run = promisify(execFile);
const VIGIL = join(PACKAGE_ROOT, 'bin', 'vigil.js');

/** `vigil evaluate --json` is read by other programs (../shared/checks/check_eval.py): its shape is a contract. */
describe('vigil evaluate --json', () => {
  it('prints exactly one JSON object with the stable keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-eval-'));
    const { header, lines } = sampleLines(3000);
    const picked = lines.filter((_, i) => i % 10 === 0);
    const file = join(dir, 'labelled.csv');
    writeFileSync(file, [header, ...picked].join('\n') + '\n');

    const { stdout } = await run(process.execPath, [VIGIL, 'evaluate', '--data', file, '--json'], { cwd: PACKAGE_ROOT });
    const out = stdout.trim();
    expect(out.split('\n')).toHaveLength(1);
    const doc = JSON.parse(out) as Record<string, unknown>;
    expect(Object.keys(doc).sort()).toEqual(['benignFPR', 'classes', 'confusion', 'macroF1', 'model', 'perClass', 'rows'].sort());
    expect(doc.rows).toBe(picked.length);
    expect(doc.classes).toEqual([...THREAT_CLASSES]);
    expect(typeof doc.model).toBe('string');
    const perClass = doc.perClass as Record<string, Record<string, number>>;
    expect(Object.keys(perClass)).toEqual([...THREAT_CLASSES]);
    const labelIndex = header.split(',').indexOf('Label');
    for (const c of THREAT_CLASSES) {
      expect(Object.keys(perClass[c]!).sort()).toEqual(['f1', 'precision', 'recall', 'support']);
      const support = picked.filter((l) => classOfLabel(l.split(',')[labelIndex]!) === c).length;
      expect(perClass[c]!.support).toBe(support);
    }
    const confusion = doc.confusion as number[][];
    expect(confusion).toHaveLength(7);
    expect(confusion.flat().reduce((a, b) => a + b, 0)).toBe(picked.length);
    const f1s = THREAT_CLASSES.map((c) => perClass[c]!.f1!);
    expect(doc.macroF1).toBeCloseTo(f1s.reduce((a, b) => a + b, 0) / 7, 10);
    const normalRow = confusion[0]!;
    expect(doc.benignFPR).toBeCloseTo((normalRow.reduce((a, b) => a + b, 0) - normalRow[0]!) / perClass.normal!.support!, 10);
  });

  it('fails with a clear message and non-zero exit on a missing file', async () => {
    await expect(run(process.execPath, [VIGIL, 'evaluate', '--data', '/nonexistent.csv', '--json'], { cwd: PACKAGE_ROOT })).rejects.toMatchObject({
      code: 1,
      stdout: '',
      stderr: expect.stringContaining('/nonexistent.csv'),
    });
  });
});

describe('vigil demo', () => {
  it('replays the committed sample and prints the summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-demo-'));
    const { stdout } = await run(process.execPath, [VIGIL, 'demo', '--json', '--out', join(dir, 'v.jsonl'), '--dlq', join(dir, 'd.jsonl')], { cwd: PACKAGE_ROOT });
    const summary = JSON.parse(stdout.trim()) as { events: number; records: number; deadLettered: number; accuracy: number; latencyMs: { p50: number; p99: number } };
    expect(summary.records).toBe(sampleLines(1e6).lines.length);
    expect(summary.events).toBe(summary.records - summary.deadLettered);
    expect(summary.accuracy).toBeGreaterThan(0.5);
    expect(summary.latencyMs.p99).toBeGreaterThanOrEqual(summary.latencyMs.p50);
  });
});
