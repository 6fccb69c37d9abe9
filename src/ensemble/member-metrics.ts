/**
 * How each ensemble member does on labelled rows, tallied chunk by chunk (evaluate scores
 * large files in chunks): the general model's and the router's own arg-max, each specialist's
 * recall and precision on its class (at q ≥ 0.5), the share of rows that fell back to the
 * general model, and the mean agreement.
 */
import { classMetrics, macroF1 } from '../evaluation/metrics.js';
import { THREAT_CLASSES } from '../events/threat-classes.js';
import { argMaxRows } from '../inference/classifier.js';
import { NO_ROUTE } from '../learn/soft-voting.js';
import type { MemberPrediction } from './ensemble-classifier.js';

const K = THREAT_CLASSES.length;

export interface MemberTally {
  rows: number;
  general: number[][];
  router: number[][];
  /** Per class index 1..6: [true positives, false negatives, false positives]. */
  specialists: number[][];
  fallbacks: number;
  agreementSum: number;
}

export function emptyMemberTally(): MemberTally {
  const square = () => Array.from({ length: K }, () => new Array<number>(K).fill(0));
  return { rows: 0, general: square(), router: square(), specialists: Array.from({ length: K }, () => [0, 0, 0]), fallbacks: 0, agreementSum: 0 };
}

export function tallyMembers(t: MemberTally, p: MemberPrediction, y: Int32Array): void {
  const n = y.length;
  const g = argMaxRows(p.members.general, n, K);
  const r = argMaxRows(p.members.router, n, K);
  for (let i = 0; i < n; i++) {
    t.general[y[i]!]![g[i]!]! += 1;
    t.router[y[i]!]![r[i]!]! += 1;
    if (p.routes[i] === NO_ROUTE) t.fallbacks += 1;
    t.agreementSum += p.agreement[i]!;
    for (let c = 1; c < K; c++) {
      const says = p.members.specialists[c]![i * 2 + 1]! >= 0.5;
      const is = y[i] === c;
      if (says && is) t.specialists[c]![0]! += 1;
      else if (is) t.specialists[c]![1]! += 1;
      else if (says) t.specialists[c]![2]! += 1;
    }
  }
  t.rows += n;
}

export interface MemberReport {
  rows: number;
  general: { macroF1: number; recall: Record<string, number> };
  router: { macroF1: number; recall: Record<string, number> };
  /** By attack class: the specialist's recall and precision on its class, and its support. */
  specialists: Record<string, { recall: number; precision: number; support: number }>;
  fallbackShare: number;
  meanAgreement: number;
}

export function memberReport(t: MemberTally): MemberReport {
  const summary = (confusion: number[][]) => ({
    macroF1: macroF1(confusion),
    recall: Object.fromEntries(classMetrics(confusion).map((m, c) => [THREAT_CLASSES[c]!, m.recall])),
  });
  const specialists: MemberReport['specialists'] = {};
  for (let c = 1; c < K; c++) {
    const [tp, fn, fp] = t.specialists[c]! as [number, number, number];
    specialists[THREAT_CLASSES[c]!] = { recall: tp + fn > 0 ? tp / (tp + fn) : 0, precision: tp + fp > 0 ? tp / (tp + fp) : 0, support: tp + fn };
  }
  return {
    rows: t.rows,
    general: summary(t.general),
    router: summary(t.router),
    specialists,
    fallbackShare: t.rows > 0 ? t.fallbacks / t.rows : 0,
    meanAgreement: t.rows > 0 ? t.agreementSum / t.rows : 0,
  };
}
