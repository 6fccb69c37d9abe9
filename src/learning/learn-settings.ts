/**
 * Settings of `vigil learn` (collector + retrain scheduler + retrainer), parsed once at
 * startup: flags over environment over LEARN_DEFAULTS, validated with zod like
 * config/serve-settings.ts. Every problem names the flag and the variable to change.
 */
import { z } from 'zod';
import { featureLayouts } from '../features/registry.js';
import { ConfigError } from '../errors/vigil-error.js';
import { BACKEND_PREFERENCES, type BackendPreference } from '../inference/backend.js';
import { TopicNameSchema } from '../kafka/settings.js';
import { MODELS_DIR } from '../paths.js';
import { DEFAULT_PROMOTION_RULE } from '../registry/promotion-rule.js';
import { DEFAULT_TRAIN_OPTIONS } from '../training/train.js';
import { DEFAULT_CLICKHOUSE_DATABASE } from '../store/open-stores.js';
import { RETRAIN_SCHEDULER_DEFAULTS } from './retrain-scheduler.js';
import { RETRAIN_TRIGGER_DEFAULTS } from './retrain-triggers.js';
import { RETRAINER_DEFAULTS } from './retrainer.js';
import { mergeSettings, settingsFromEnv, type SettingSource } from '../config/setting-sources.js';
import { CANDIDATE_TRAINERS, type CandidateTrainerName } from './candidate-trainer.js';

export const LEARN_DEFAULTS = {
  brokers: ['127.0.0.1:9092'],
  labelsTopic: 'labels',
  groupId: 'vigil-learn',
  dlqTopic: 'label-dead-letters',
  labelFormat: 'json' as 'json' | 'avro',
  redisUrl: 'redis://127.0.0.1:6379',
  queuePrefix: RETRAIN_SCHEDULER_DEFAULTS.prefix,
  /** The embedded store by default (under .vigil/, where run output goes), as serve runs without ClickHouse. */
  offlineStore: '.vigil/offline.sqlite',
  clickhouseDatabase: DEFAULT_CLICKHOUSE_DATABASE,
  modelsDir: MODELS_DIR,
  minNewSamples: RETRAIN_TRIGGER_DEFAULTS.minNewSamples,
  maxAgeMs: RETRAIN_TRIGGER_DEFAULTS.maxAgeMs,
  overrideThreshold: RETRAIN_TRIGGER_DEFAULTS.overrideRate.threshold,
  checkEveryMs: RETRAIN_SCHEDULER_DEFAULTS.checkEveryMs,
  /** mlp: fast; ensemble: the Phase 2 model the shipped default is (a few minutes a retrain). */
  trainer: 'mlp' as CandidateTrainerName,
  /** 1: 79 flow features; 2: 100, through the feature pipeline (a serve on the detect topology refuses those: README). */
  featureVersion: RETRAINER_DEFAULTS.featureVersion,
  seed: RETRAINER_DEFAULTS.seed,
  minClassRows: RETRAINER_DEFAULTS.minClassRows,
  maxEpochs: DEFAULT_TRAIN_OPTIONS.maxEpochs,
  patience: DEFAULT_TRAIN_OPTIONS.patience,
  /** Hidden widths of the MLP, or of the ensemble's general model and router; absent: the trainer's own default. */
  hidden: undefined as number[] | undefined,
  minF1Gain: DEFAULT_PROMOTION_RULE.minMacroF1Gain,
  maxRecallDrop: DEFAULT_PROMOTION_RULE.maxRecallDrop,
  backend: 'auto' as BackendPreference,
};

/** Where each setting can be given; `list` settings split on commas when read from the environment. */
export const LEARN_SETTING_SOURCES: Record<string, SettingSource> = {
  brokers: { flag: '--brokers', env: 'VIGIL_KAFKA_BROKERS', list: true },
  labelsTopic: { flag: '--labels-topic', env: 'VIGIL_LABELS_TOPIC' },
  groupId: { flag: '--group', env: 'VIGIL_LEARN_GROUP' },
  dlqTopic: { flag: '--dlq-topic', env: 'VIGIL_LABELS_DLQ_TOPIC' },
  labelFormat: { flag: '--label-format', env: 'VIGIL_LABEL_FORMAT' },
  redisUrl: { flag: '--redis', env: 'VIGIL_REDIS_URL' },
  queuePrefix: { flag: '--queue-prefix', env: 'VIGIL_QUEUE_PREFIX' },
  offlineStore: { flag: '--offline-store', env: 'VIGIL_OFFLINE_STORE' },
  clickhouseDatabase: { flag: '--clickhouse-database', env: 'VIGIL_CLICKHOUSE_DATABASE' },
  modelsDir: { flag: '--models-dir', env: 'VIGIL_MODELS_DIR' },
  baseData: { flag: '--base-data', env: 'VIGIL_BASE_DATA', list: true },
  holdoutData: { flag: '--holdout-data', env: 'VIGIL_HOLDOUT_DATA', list: true },
  minNewSamples: { flag: '--min-new-samples', env: 'VIGIL_RETRAIN_MIN_SAMPLES', number: true },
  maxAgeMs: { flag: '--max-age-ms', env: 'VIGIL_RETRAIN_MAX_AGE_MS', number: true },
  overrideThreshold: { flag: '--override-threshold', env: 'VIGIL_RETRAIN_OVERRIDE_THRESHOLD', number: true },
  checkEveryMs: { flag: '--check-every-ms', env: 'VIGIL_RETRAIN_CHECK_MS', number: true },
  trainer: { flag: '--trainer', env: 'VIGIL_RETRAIN_TRAINER' },
  featureVersion: { flag: '--feature-version', env: 'VIGIL_RETRAIN_FEATURE_VERSION', number: true },
  seed: { flag: '--seed', env: 'VIGIL_RETRAIN_SEED', number: true },
  minClassRows: { flag: '--min-class-rows', env: 'VIGIL_RETRAIN_MIN_CLASS_ROWS', number: true },
  maxEpochs: { flag: '--max-epochs', env: 'VIGIL_RETRAIN_MAX_EPOCHS', number: true },
  patience: { flag: '--patience', env: 'VIGIL_RETRAIN_PATIENCE', number: true },
  hidden: { flag: '--hidden', env: 'VIGIL_RETRAIN_HIDDEN', list: true },
  minF1Gain: { flag: '--min-f1-gain', env: 'VIGIL_PROMOTION_MIN_F1_GAIN', number: true },
  maxRecallDrop: { flag: '--max-recall-drop', env: 'VIGIL_PROMOTION_MAX_RECALL_DROP', number: true },
  backend: { flag: '--backend', env: 'VIGIL_BACKEND' },
};

const brokerAddress = z.string().regex(/^[^\s:/,]+:\d{1,5}$/, { error: 'write each broker as host:port, e.g. 127.0.0.1:9092' });
const positiveInt = z.number().int().positive();
const files = (what: string) => {
  const error = `name at least one ${what} file (see \`vigil split\`)`;
  return z.array(z.string().min(1), { error }).min(1, { error });
};
const d = LEARN_DEFAULTS;

export const LearnSettingsSchema = z
  .strictObject({
    brokers: z.array(brokerAddress).min(1).default(d.brokers),
    labelsTopic: TopicNameSchema.default(d.labelsTopic),
    groupId: z.string().min(1).default(d.groupId),
    dlqTopic: TopicNameSchema.default(d.dlqTopic),
    labelFormat: z.enum(['json', 'avro']).default(d.labelFormat),
    redisUrl: z.string().regex(/^rediss?:\/\//, { error: 'write the Redis address as a URL, e.g. redis://127.0.0.1:6379' }).default(d.redisUrl),
    queuePrefix: z.string().min(1).default(d.queuePrefix),
    offlineStore: z.string().min(1).default(d.offlineStore),
    clickhouseDatabase: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'letters, digits and _' }).default(d.clickhouseDatabase),
    modelsDir: z.string().min(1).default(d.modelsDir),
    baseData: files('base training'),
    holdoutData: files('hold-out'),
    minNewSamples: positiveInt.default(d.minNewSamples),
    maxAgeMs: positiveInt.default(d.maxAgeMs),
    overrideThreshold: z.number().min(0).max(1).default(d.overrideThreshold),
    checkEveryMs: positiveInt.default(d.checkEveryMs),
    trainer: z.enum(CANDIDATE_TRAINERS, { error: `use ${CANDIDATE_TRAINERS.join(' or ')}` }).default(d.trainer),
    featureVersion: z
      .number()
      .int()
      .refine((v) => featureLayouts().some((l) => l.version === v), { error: `use one of ${featureLayouts().map((l) => l.version).join(', ')}` })
      .default(d.featureVersion),
    seed: z.number().int().min(0).default(d.seed),
    minClassRows: z.number().int().min(0).default(d.minClassRows),
    maxEpochs: positiveInt.default(d.maxEpochs),
    patience: positiveInt.default(d.patience),
    // Flags and environment give text ("512,256" split on commas); a width that is not a
    // positive whole number is refused by name.
    hidden: z.array(z.coerce.number<string>().int().positive(), { error: 'write widths as comma-separated positive integers, e.g. 512,256' }).min(1).optional(),
    minF1Gain: z.number().min(0).max(1).default(d.minF1Gain),
    maxRecallDrop: z.number().min(0).max(1).default(d.maxRecallDrop),
    backend: z.enum(BACKEND_PREFERENCES as [BackendPreference, ...BackendPreference[]]).default(d.backend),
  })
  .refine((s) => s.dlqTopic !== s.labelsTopic, { path: ['dlqTopic'], error: 'must differ from the labels topic' })
  .refine((s) => !s.holdoutData.some((f) => s.baseData.includes(f)), { path: ['holdoutData'], error: 'the hold-out must not also be base training data' });

export type LearnSettingsInput = z.input<typeof LearnSettingsSchema>;
export type LearnSettings = z.output<typeof LearnSettingsSchema>;

/** Settings named by environment variables that are set and not empty, as typed values. */
export function learnSettingsFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  return settingsFromEnv(LEARN_SETTING_SOURCES, env);
}

function describeSetting(path: readonly PropertyKey[]): string {
  const key = String(path[0] ?? '');
  const where = LEARN_SETTING_SOURCES[key];
  if (!where) return key || 'learn settings';
  return `${key} (${where.flag}${where.env ? ` or ${where.env}` : ''})`;
}

/** Flags (undefined = not given) over environment, validated; one ConfigError listing every problem. */
export function parseLearnSettings(fromEnv: Record<string, unknown>, fromFlags: Record<string, unknown>): LearnSettings {
  const result = LearnSettingsSchema.safeParse(mergeSettings(fromEnv, fromFlags));
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys' ? `unknown setting(s) ${issue.keys.join(', ')}` : `${describeSetting(issue.path)}: ${issue.message}`,
  );
  throw new ConfigError(`vigil learn settings: ${problems.join('; ')}`);
}
