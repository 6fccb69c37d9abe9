import type { Command } from 'commander';
import { LEARN_DEFAULTS, LEARN_SETTING_SOURCES, learnSettingsFromEnv, parseLearnSettings } from '../../learning/learn-settings.js';
import { startLearn, type LearnHandle } from '../../learning/learn-service.js';
import { onShutdownSignals } from '../shutdown-signals.js';
import { DEFAULT_ENSEMBLE_OPTIONS } from '../../ensemble/train-ensemble.js';
import { DEFAULT_TRAIN_OPTIONS } from '../../training/train.js';


interface LearnFlags {
  [flag: string]: string | string[] | undefined;
}

/** commander's camelCase of each setting's flag, so flags map to settings by one table. */
const flagKey = (flag: string): string => flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function settingsFromFlags(f: LearnFlags): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, source] of Object.entries(LEARN_SETTING_SOURCES)) {
    const value = f[flagKey(source.flag)];
    if (value === undefined) continue;
    if (source.list) out[key] = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
    else if (source.number) out[key] = Number.isNaN(Number(value)) ? value : Number(value);
    else out[key] = value;
  }
  return out;
}

async function runLearn(f: LearnFlags): Promise<void> {
  const settings = parseLearnSettings(learnSettingsFromEnv(process.env), settingsFromFlags(f));
  let handle: LearnHandle | undefined;
  // A stalled retrain job is handed to another worker when its lock lapses.
  const signals = onShutdownSignals('learn', 'stopping (a running retrain finishes first)', () => void handle?.stop());
  try {
    handle = await startLearn(settings);
    process.stderr.write(`learn: started, labels from ${settings.labelsTopic} (group ${settings.groupId}), retrain after ${settings.minNewSamples} new samples\n`);
    if (signals.received() > 0) void handle.stop();
    let failure: unknown;
    const counters = await handle.done.catch((error: unknown) => {
      failure = error;
      return handle!.stop();
    });
    await handle.stop();
    process.stdout.write(JSON.stringify({ collector: counters }) + '\n');
    // The collector's failure is the command's: main prints it and exits 1.
    if (failure !== undefined) throw failure;
  } finally {
    signals.dispose();
  }
}

export function registerLearn(program: Command): void {
  const d = LEARN_DEFAULTS;
  const env = (key: string): string => `env ${LEARN_SETTING_SOURCES[key]!.env}`;
  program
    .command('learn')
    .description('run the retraining loop until SIGTERM/SIGINT: labels topic -> training samples, retrain triggers (BullMQ on Redis), retrain, promote')
    .option('--brokers <list>', `comma-separated host:port list (${env('brokers')}; default ${d.brokers.join(',')})`)
    .option('--labels-topic <topic>', `labels, keyed by event key (${env('labelsTopic')}; default ${d.labelsTopic})`)
    .option('--group <id>', `consumer group (${env('groupId')}; default ${d.groupId})`)
    .option('--dlq-topic <topic>', `labels that are bad or name an event never scored (${env('dlqTopic')}; default ${d.dlqTopic})`)
    .option('--label-format <format>', `json | avro (${env('labelFormat')}; default ${d.labelFormat})`)
    .option('--redis <url>', `Redis of the retrain queue (${env('redisUrl')}; default ${d.redisUrl})`)
    .option('--queue-prefix <prefix>', `namespace of the queue's Redis keys (${env('queuePrefix')}; default ${d.queuePrefix})`)
    .option('--offline-store <url|path>', `ClickHouse HTTP URL, or a SQLite file (${env('offlineStore')}; default ${d.offlineStore})`)
    .option('--clickhouse-database <name>', `(${env('clickhouseDatabase')}; default ${d.clickhouseDatabase})`)
    .option('--models-dir <dir>', `model registry directory (${env('modelsDir')}; default models/)`)
    .option('--base-data <file...>', `base training files, e.g. .vigil/split/train.csv (${env('baseData')}, comma-separated)`)
    .option('--holdout-data <file...>', `hold-out files, never trained on, e.g. .vigil/split/holdout.csv (${env('holdoutData')})`)
    .option('--min-new-samples <n>', `retrain after this many new labelled samples (${env('minNewSamples')}; default ${d.minNewSamples})`)
    .option('--max-age-ms <ms>', `retrain when the last retrain is this old (${env('maxAgeMs')}; default 7 days)`)
    .option('--override-threshold <fraction>', `retrain when labels overrule the model more often than this (${env('overrideThreshold')}; default ${d.overrideThreshold})`)
    .option('--check-every-ms <ms>', `how often the triggers are checked (${env('checkEveryMs')}; default ${d.checkEveryMs})`)
    .option('--trainer <kind>', `what a retrain trains: mlp | ensemble (${env('trainer')}; default ${d.trainer}; the ensemble takes a few minutes on 2 cores)`)
    .option('--feature-version <n>', `rows candidates are trained on: 1 (79 flow features) | 2 (100: the base data replayed through the feature pipeline; a serve started on a version-1 model keeps it, see serve --feature-pipeline) (${env('featureVersion')}; default ${d.featureVersion})`)
    .option('--seed <n>', `seed of balancing and training (${env('seed')}; default ${d.seed})`)
    .option('--min-class-rows <n>', `SMOTE classes with fewer training rows up to this many; 0 = off (${env('minClassRows')}; default ${d.minClassRows})`)
    .option('--max-epochs <n>', `upper bound on epochs per retrain (${env('maxEpochs')}; default ${d.maxEpochs})`)
    .option('--hidden <sizes>', `hidden widths: of the MLP, or of the ensemble's general model and router; 512,256 is the shipped v4's recipe (${env('hidden')}; default: the trainer's, ${DEFAULT_TRAIN_OPTIONS.hidden.join(',')} and ensemble ${DEFAULT_ENSEMBLE_OPTIONS.general.hidden.join(',')})`)
    .option('--patience <n>', `epochs without validation improvement before stopping (${env('patience')}; default ${d.patience})`)
    .option('--min-f1-gain <fraction>', `hold-out macro-F1 gain required to promote (${env('minF1Gain')}; default ${d.minF1Gain})`)
    .option('--max-recall-drop <fraction>', `largest drop of any class recall allowed (${env('maxRecallDrop')}; default ${d.maxRecallDrop})`)
    .option('--backend <name>', `TF.js backend: auto | node | wasm | cpu (${env('backend')})`)
    .action((f: LearnFlags) => runLearn(f));
}
