import { ConfigError } from '../errors/vigil-error.js';
import { THREAT_CLASSES, type ThreatClass } from '../events/threat-classes.js';
import type { EvaluationReport } from '../evaluation/metrics.js';

/**
 * When a candidate may replace the current model, judged on their hold-out reports. Both
 * thresholds are fractions (0.02 = 2 points of macro-F1).
 */
export interface PromotionRuleOptions {
  /** The candidate's macro-F1 must be at least the current one's plus this. */
  minMacroF1Gain: number;
  /** No class's recall may fall below the current one's by more than this. */
  maxRecallDrop: number;
}

export const DEFAULT_PROMOTION_RULE: Readonly<PromotionRuleOptions> = Object.freeze({ minMacroF1Gain: 0.02, maxRecallDrop: 0.01 });

// Metrics are ratios of counts: 0.9815 + 0.02 must count as "at least 2 points" even when
// the float sum lands a hair above the candidate's value.
const TOLERANCE = 1e-9;

export function resolvePromotionRule(options: Partial<PromotionRuleOptions> = {}): PromotionRuleOptions {
  const rule = { ...DEFAULT_PROMOTION_RULE, ...options };
  for (const [name, value] of Object.entries(rule)) {
    if (!Number.isFinite(value) || value < -1 || value > 1) {
      throw new ConfigError(`promotion rule: ${name} must be a fraction between -1 and 1 (0.02 = 2 points), got ${String(value)}`);
    }
  }
  return rule;
}

/** One model as the rule sees it: its name and its hold-out report when it was measured. */
export interface JudgedModel {
  version: string;
  holdout?: EvaluationReport | undefined;
}

export type RuleViolation =
  | { rule: 'candidate-unmeasured'; candidate: string }
  | { rule: 'current-unmeasured'; current: string }
  | { rule: 'macro-f1-gain'; candidate: number; current: number; gain: number; required: number }
  | { rule: 'class-recall-drop'; class: ThreatClass; candidate: number; current: number; drop: number; allowed: number };

export interface PromotionDecision {
  accepted: boolean;
  /** Every rule the candidate breaks, not only the first: the record says all of it. */
  violations: RuleViolation[];
  /** One line for people: what was compared and why it was refused (or accepted). */
  reason: string;
}

const f4 = (x: number): string => x.toFixed(4);
const signed = (x: number): string => (x >= 0 ? '+' : '') + f4(x);

export function describeViolation(v: RuleViolation): string {
  switch (v.rule) {
    case 'candidate-unmeasured':
      return `candidate ${v.candidate} has no hold-out metrics (record them with \`vigil models record\`)`;
    case 'current-unmeasured':
      return `current ${v.current} has no hold-out metrics to compare against (record them, or promote with --force)`;
    case 'macro-f1-gain':
      return `macro-F1 ${f4(v.candidate)} vs current ${f4(v.current)}: ${signed(v.gain)}, needs ${signed(v.required)}`;
    case 'class-recall-drop':
      return `${v.class} recall ${f4(v.candidate)} vs current ${f4(v.current)}: ${signed(-v.drop)}, may drop at most ${f4(v.allowed)}`;
  }
}

/**
 * The promotion rule, pure: the candidate replaces `current` only if its hold-out macro-F1
 * beats the current one's by at least `minMacroF1Gain` and no class's recall drops by more
 * than `maxRecallDrop`. With no current model at all (`null`) any candidate is accepted; a
 * side without hold-out metrics cannot be compared, so it is refused.
 */
export function decidePromotion(candidate: JudgedModel, current: JudgedModel | null, rule: PromotionRuleOptions = DEFAULT_PROMOTION_RULE): PromotionDecision {
  if (current === null) return { accepted: true, violations: [], reason: 'no current model' };
  const violations: RuleViolation[] = [];
  if (!candidate.holdout) violations.push({ rule: 'candidate-unmeasured', candidate: candidate.version });
  if (!current.holdout) violations.push({ rule: 'current-unmeasured', current: current.version });
  const a = candidate.holdout;
  const b = current.holdout;
  if (a && b) {
    const gain = a.macroF1 - b.macroF1;
    if (gain < rule.minMacroF1Gain - TOLERANCE) {
      violations.push({ rule: 'macro-f1-gain', candidate: a.macroF1, current: b.macroF1, gain, required: rule.minMacroF1Gain });
    }
    for (const c of THREAT_CLASSES) {
      const drop = b.perClass[c].recall - a.perClass[c].recall;
      if (drop > rule.maxRecallDrop + TOLERANCE) {
        violations.push({ rule: 'class-recall-drop', class: c, candidate: a.perClass[c].recall, current: b.perClass[c].recall, drop, allowed: rule.maxRecallDrop });
      }
    }
  }
  if (violations.length || !a || !b) return { accepted: false, violations, reason: violations.map(describeViolation).join('; ') };
  return {
    accepted: true,
    violations,
    // The thresholds go into the reason: a rule configured away from its default must show in
    // the version's history, not only in the shell that ran the promotion.
    reason: `macro-F1 ${f4(a.macroF1)} vs current ${f4(b.macroF1)}: ${signed(a.macroF1 - b.macroF1)} (needs ${signed(rule.minMacroF1Gain)}); no class recall dropped more than ${f4(rule.maxRecallDrop)}`,
  };
}
