import { THREAT_CLASSES } from '../events/threat-classes.js';
import type { EvaluationReport } from '../evaluation/metrics.js';
import type { RetrainOutcome, RetrainRun } from '../store/offline-store.js';

export interface RetrainRunFacts {
  runId: string;
  startedAtMs: number;
  finishedAtMs: number;
  triggers: readonly string[];
  baseRows: number;
  sampleRows: number;
  candidate: EvaluationReport;
  /** The parent's report on the same hold-out; null when there was no parent to measure. */
  parent: { version: string; report: EvaluationReport | null } | null;
  outcome: RetrainOutcome;
  reason: string;
}

/** The history row of one retrain: metrics flattened to THREAT_CLASSES-ordered arrays. */
export function retrainRunOf(f: RetrainRunFacts): RetrainRun {
  const per = (metric: 'precision' | 'recall' | 'f1') => THREAT_CLASSES.map((c) => f.candidate.perClass[c][metric]);
  const parentMacroF1 = f.parent?.report ? f.parent.report.macroF1 : null;
  return {
    runId: f.runId,
    ts: f.startedAtMs,
    finishedAt: f.finishedAtMs,
    triggers: [...f.triggers],
    baseRows: f.baseRows,
    sampleRows: f.sampleRows,
    candidateVersion: f.candidate.model,
    parentVersion: f.parent?.version ?? null,
    outcome: f.outcome,
    reason: f.reason,
    holdoutRows: f.candidate.rows,
    macroF1: f.candidate.macroF1,
    parentMacroF1,
    macroF1Gain: parentMacroF1 === null ? null : f.candidate.macroF1 - parentMacroF1,
    benignFPR: f.candidate.benignFPR,
    precision: per('precision'),
    recall: per('recall'),
    f1: per('f1'),
  };
}
