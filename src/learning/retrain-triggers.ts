/**
 * When to retrain: the three rules of issue 5, as a pure decision over counts the scheduler
 * reads from the offline store. Any one rule firing is enough; every rule that fired is named
 * in `reasons`, so the retrain record says why it ran.
 *
 * | rule            | fires when                                                              |
 * |-----------------|-------------------------------------------------------------------------|
 * | `new-samples`   | at least `minNewSamples` labelled samples arrived since the last retrain |
 * | `age`           | the last retrain is at least `maxAgeMs` old                              |
 * | `override-rate` | in the recent window, labellers overrode the model (label != mlLabel)   |
 * |                 | on more than `overrideRate.threshold` of at least `minSamples` samples  |
 *
 * Before the first retrain there is no age to measure, so `age` cannot fire then; the other
 * two rules count every sample up to now.
 */
import { z } from 'zod';
import { ConfigError } from '../errors/vigil-error.js';

const HOUR_MS = 3_600_000;

export const RETRAIN_TRIGGER_DEFAULTS = Object.freeze({
  /** Enough new evidence to move the model (issue 5). */
  minNewSamples: 1_000,
  /** A model never goes more than a week without seeing the latest labels. */
  maxAgeMs: 7 * 24 * HOUR_MS,
  overrideRate: Object.freeze({
    /** Labellers disagreeing with more than this share of verdicts means the model drifted. */
    threshold: 0.15,
    /** The recent window: samples labelled in the last `windowMs`... */
    windowMs: 24 * HOUR_MS,
    /** ...of which only the latest `maxSamples` count, so a busy day reacts to its end. */
    maxSamples: 500,
    /** Fewer samples than this say nothing: 1 override in 2 labels is not a 50% drift. */
    minSamples: 50,
  }),
});

const positiveInt = z.number().int().positive();

export const RetrainTriggerConfigSchema = z.strictObject({
  minNewSamples: positiveInt.default(RETRAIN_TRIGGER_DEFAULTS.minNewSamples),
  maxAgeMs: positiveInt.default(RETRAIN_TRIGGER_DEFAULTS.maxAgeMs),
  overrideRate: z
    .strictObject({
      threshold: z.number().min(0).max(1).default(RETRAIN_TRIGGER_DEFAULTS.overrideRate.threshold),
      windowMs: positiveInt.default(RETRAIN_TRIGGER_DEFAULTS.overrideRate.windowMs),
      maxSamples: positiveInt.default(RETRAIN_TRIGGER_DEFAULTS.overrideRate.maxSamples),
      minSamples: positiveInt.default(RETRAIN_TRIGGER_DEFAULTS.overrideRate.minSamples),
    })
    .refine((o) => o.minSamples <= o.maxSamples, { error: 'overrideRate.minSamples must not exceed overrideRate.maxSamples' })
    .default({ ...RETRAIN_TRIGGER_DEFAULTS.overrideRate }),
});
export type RetrainTriggerOptions = z.input<typeof RetrainTriggerConfigSchema>;
export type RetrainTriggerConfig = z.output<typeof RetrainTriggerConfigSchema>;

/** Validates `options` and fills in RETRAIN_TRIGGER_DEFAULTS; a bad value is a ConfigError naming it. */
export function resolveRetrainTriggerConfig(options: RetrainTriggerOptions = {}): RetrainTriggerConfig {
  const parsed = RetrainTriggerConfigSchema.safeParse(options);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ');
    throw new ConfigError(`retrain triggers: ${issues}`);
  }
  return parsed.data;
}

/** What the rules look at, as the scheduler measured it. */
export interface RetrainStats {
  /** When the last retrain started, epoch ms; null before the first one. */
  lastRetrainAtMs: number | null;
  /** Labelled samples with ts >= lastRetrainAtMs (all of them before the first retrain). */
  newSamples: number;
  /** Samples in the recent window (at most overrideRate.maxSamples). */
  recentSamples: number;
  /** Of those, how many were labelled differently from the model's prediction. */
  recentOverrides: number;
}

export type RetrainRule = 'new-samples' | 'age' | 'override-rate';

export interface TriggerDecision {
  fire: boolean;
  /** One entry per rule that fired, `<rule>: <measure>`, in the table's order. */
  reasons: string[];
}

export function evaluateTriggers(stats: RetrainStats, config: RetrainTriggerConfig, nowMs: number): TriggerDecision {
  const reasons: string[] = [];
  const reason = (rule: RetrainRule, detail: string): void => {
    reasons.push(`${rule}: ${detail}`);
  };
  if (stats.newSamples >= config.minNewSamples) reason('new-samples', `${stats.newSamples} >= ${config.minNewSamples}`);
  if (stats.lastRetrainAtMs !== null) {
    const ageMs = nowMs - stats.lastRetrainAtMs;
    if (ageMs >= config.maxAgeMs) reason('age', `${ageMs} ms >= ${config.maxAgeMs} ms`);
  }
  const { threshold, minSamples } = config.overrideRate;
  if (stats.recentSamples >= minSamples) {
    const rate = stats.recentOverrides / stats.recentSamples;
    if (rate > threshold) reason('override-rate', `${stats.recentOverrides}/${stats.recentSamples} = ${rate.toFixed(3)} > ${threshold}`);
  }
  return { fire: reasons.length > 0, reasons };
}

/** The rule a reason string names. */
export function ruleOf(reason: string): RetrainRule {
  return reason.slice(0, reason.indexOf(':')) as RetrainRule;
}
