import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { THREAT_CLASSES, type ThreatClass } from '../../src/events/threat-classes.js';
import type { ClassMetrics, EvaluationReport } from '../../src/evaluation/metrics.js';
import { MODELS_DIR } from '../../src/paths.js';

/** A registry in a temp dir holding a copy of the shipped v1, CURRENT naming it. */
export function tempRegistry(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-registry-'));
  cpSync(join(MODELS_DIR, 'v1'), join(dir, 'v1'), { recursive: true });
  writeFileSync(join(dir, 'CURRENT'), 'v1\n');
  return dir;
}

/** Edits a version's manifest.json (not checksummed itself, so the model still loads). */
export function editManifest(modelsDir: string, version: string, edit: (m: Record<string, unknown>) => void): void {
  const path = join(modelsDir, version, 'manifest.json');
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(manifest);
  writeFileSync(path, JSON.stringify(manifest, null, 2));
}

/** A new candidate: a copy of v1's model files (not its registry record) under another name. */
export function copyVersion(modelsDir: string, version: string, createdAt: string): string {
  cpSync(join(modelsDir, 'v1'), join(modelsDir, version), { recursive: true, filter: (src) => !src.endsWith('registry.json') });
  editManifest(modelsDir, version, (m) => {
    m.version = version;
    m.createdAt = createdAt;
  });
  return join(modelsDir, version);
}

/** Flips one bit in the middle of a version's weights.bin. */
export function corruptWeights(modelsDir: string, version: string): void {
  const path = join(modelsDir, version, 'weights.bin');
  const bytes = readFileSync(path);
  const at = bytes.length >> 1;
  bytes[at] = bytes[at]! ^ 0x01;
  writeFileSync(path, bytes);
}

/**
 * A hold-out report with the given macro-F1 and per-class recalls (default 0.99 each); the
 * rule reads only these, so the other fields are filled consistently but plainly.
 */
export function holdoutReport(model: string, macroF1: number, recall: Partial<Record<ThreatClass, number>> = {}): EvaluationReport {
  const perClass = Object.fromEntries(
    THREAT_CLASSES.map((c): [ThreatClass, ClassMetrics] => {
      const r = recall[c] ?? 0.99;
      return [c, { precision: r, recall: r, f1: r, support: 100 }];
    }),
  ) as Record<ThreatClass, ClassMetrics>;
  const confusion = THREAT_CLASSES.map((_, i) => THREAT_CLASSES.map((__, j) => (i === j ? 100 : 0)));
  return { model, rows: 700, macroF1, benignFPR: 0.007, perClass, confusion, classes: [...THREAT_CLASSES] };
}

export const readPointerFile = (modelsDir: string, name: 'CURRENT' | 'PREVIOUS'): string => readFileSync(join(modelsDir, name), 'utf8').trim();
