import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { InputError } from '../../errors/vigil-error.js';
import { MODELS_DIR } from '../../paths.js';
import { ModelRegistry, type PromotionResult, type VersionInfo } from '../../registry/model-registry.js';
import { DEFAULT_PROMOTION_RULE } from '../../registry/promotion-rule.js';
import { parseEvaluationReport } from '../../registry/registry-record.js';
import { hashTrainingData } from '../../registry/training-data-hash.js';
import { DEFAULT_CLICKHOUSE_DATABASE, offlineStoreLocation, openOfflineStore } from '../../store/open-stores.js';
import { formatRetrainHistory, readRetrainHistory } from '../../learning/retrain-history.js';
import type { RetrainRun } from '../../store/offline-store.js';

/** Exit code of `promote` when the promotion rule refuses the candidate (1 is an error). */
export const EXIT_REJECTED = 2;

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

function points(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`expected a fraction in [0, 1] (0.02 = 2 points), got "${value}"`);
  return n;
}

/** One line per version, aligned; `*` marks the one CURRENT names. */
export function formatVersionList(versions: readonly VersionInfo[]): string {
  const rows = versions.map((v) => [
    v.status === 'current' ? '*' : ' ',
    v.version,
    v.status,
    v.createdAt.replace(/\.\d+Z$/, 'Z'),
    v.featureVersion === null ? '-' : String(v.featureVersion),
    v.holdout ? v.holdout.macroF1.toFixed(4) : '-',
    v.holdout ? pct(v.holdout.benignFPR) : '-',
  ]);
  const table = [[' ', 'version', 'status', 'created', 'features', 'macro-F1', 'benign FPR'], ...rows];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  return table.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

export function formatVersion(v: VersionInfo): string {
  const r = v.record;
  const lines = [
    `version        ${v.version}${v.status === 'current' ? '  (current)' : ''}`,
    `status         ${v.status}`,
    `created        ${v.createdAt}`,
    `features       version ${v.featureVersion ?? '-'} (${v.featureLayout ?? '-'})`,
    `parent         ${v.parent ?? '-'}`,
    `training data  ${r.trainingData ? `sha256 ${r.trainingData.sha256} (${r.trainingData.files.map((f) => f.path).join(', ')})` : '-'}`,
    `directory      ${v.dir}`,
  ];
  if (v.holdout) {
    lines.push(`hold-out       ${v.holdout.rows} rows  macro-F1 ${v.holdout.macroF1.toFixed(4)}  benign FPR ${pct(v.holdout.benignFPR)}`);
    lines.push(`  recall       ${Object.entries(v.holdout.perClass).map(([c, m]) => `${c} ${m.recall.toFixed(4)}`).join('  ')}`);
  } else {
    lines.push('hold-out       not measured (`vigil evaluate --json` on the hold-out, then `vigil models record --holdout`)');
  }
  // Only while it stands: a version promoted after a refusal keeps the refusal in its history,
  // and a "rejected" line beside "status current" would read as a contradiction.
  if (r.rejection && v.status === 'rejected') lines.push(`rejected       ${r.rejection.at}: ${r.rejection.reason}`);
  for (const h of r.history) lines.push(`history        ${h.at}  ${h.from} -> ${h.to}${h.forced ? ' (forced)' : ''}: ${h.reason}`);
  return lines.join('\n');
}

function formatPromotion(r: PromotionResult): string {
  if (r.outcome === 'rejected') return `rejected ${r.version}: ${r.decision.reason}\nCURRENT still ${r.current ?? '-'}`;
  const why = r.forced ? `forced over the promotion rule: ${r.decision.reason}` : r.decision.reason;
  return `promoted ${r.version} (${why})\nCURRENT ${r.current ?? '-'}  PREVIOUS ${r.previous ?? '-'}`;
}

const modelsDirOption = (c: Command): Command => c.option('--models-dir <dir>', 'model registry directory', MODELS_DIR);

function readReport(path: string) {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(`cannot read the hold-out report ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseEvaluationReport(raw, path);
}

/** The history in the offline store; its schema is brought up to date first (idempotent). */
async function readHistory(location: string, database: string | undefined): Promise<RetrainRun[]> {
  const store = openOfflineStore(offlineStoreLocation(location, database));
  try {
    await store.migrate();
    return await readRetrainHistory(store);
  } finally {
    await store.close();
  }
}

export function registerModels(program: Command): void {
  const models = program.command('models').description('the model registry: list, inspect, promote, roll back');

  modelsDirOption(models.command('list').description('one line per version; * marks the current one; with an offline store, the retrain history too'))
    .option('--json', 'print the versions as one JSON array ({ versions, history } with an offline store)')
    .option('--offline-store <url|path>', 'read the retrain history from this ClickHouse URL or SQLite file (env VIGIL_OFFLINE_STORE)')
    .option('--clickhouse-database <name>', `ClickHouse database of the history (env VIGIL_CLICKHOUSE_DATABASE; default ${DEFAULT_CLICKHOUSE_DATABASE})`)
    .action(async (f: { modelsDir: string; json?: boolean; offlineStore?: string; clickhouseDatabase?: string }) => {
      const listed = new ModelRegistry({ modelsDir: f.modelsDir }).list();
      const versions = listed.map(({ manifest: _m, ...v }) => v);
      const location = f.offlineStore ?? (process.env.VIGIL_OFFLINE_STORE?.trim() || undefined);
      const history = location === undefined ? undefined : await readHistory(location, f.clickhouseDatabase ?? (process.env.VIGIL_CLICKHOUSE_DATABASE?.trim() || undefined));
      if (f.json) {
        process.stdout.write(JSON.stringify(history === undefined ? versions : { versions, history }) + '\n');
        return;
      }
      process.stdout.write(formatVersionList(listed) + (history === undefined ? '' : `\n\n${formatRetrainHistory(history)}`) + '\n');
    });

  modelsDirOption(models.command('show').description('manifest and registry record of one version').argument('<version>'))
    .option('--json', 'print one JSON object')
    .action((version: string, f: { modelsDir: string; json?: boolean }) => {
      const info = new ModelRegistry({ modelsDir: f.modelsDir }).show(version);
      process.stdout.write((f.json ? JSON.stringify(info) : formatVersion(info)) + '\n');
    });

  modelsDirOption(
    models
      .command('promote')
      .description(`make VERSION current if it loads and beats the current one (exit code ${EXIT_REJECTED} when the rule refuses it)`)
      .argument('<version>'),
  )
    .option('--force', 'promote even if the promotion rule refuses it (recorded as forced); a model that does not load is still refused')
    .option('--min-f1-gain <fraction>', 'hold-out macro-F1 gain required over the current model', points, DEFAULT_PROMOTION_RULE.minMacroF1Gain)
    .option('--max-recall-drop <fraction>', 'largest drop of any class recall allowed', points, DEFAULT_PROMOTION_RULE.maxRecallDrop)
    .action(async (version: string, f: { modelsDir: string; force?: boolean; minF1Gain: number; maxRecallDrop: number }) => {
      const registry = new ModelRegistry({ modelsDir: f.modelsDir, rule: { minMacroF1Gain: f.minF1Gain, maxRecallDrop: f.maxRecallDrop } });
      const result = await registry.promote(version, { force: f.force ?? false });
      process.stdout.write(formatPromotion(result) + '\n');
      if (result.outcome === 'rejected') process.exitCode = EXIT_REJECTED;
    });

  modelsDirOption(models.command('rollback').description('serve the previous version again (the pointers swap: a second rollback undoes it)')).action(
    async (f: { modelsDir: string }) => {
      const r = await new ModelRegistry({ modelsDir: f.modelsDir }).rollback();
      process.stdout.write(`rolled back to ${r.current}\nCURRENT ${r.current}  PREVIOUS ${r.previous}\n`);
    },
  );

  modelsDirOption(models.command('record').description("add lineage, training-data hash or hold-out metrics to a version's record").argument('<version>'))
    .option('--holdout <file>', 'the `vigil evaluate --json` output of this version on the hold-out')
    .option('--parent <version>', 'the version this one was trained to replace')
    .option('--data <file...>', 'the training files (their sha256 is recorded)')
    .action(async (version: string, f: { modelsDir: string; holdout?: string; parent?: string; data?: string[] }) => {
      const registry = new ModelRegistry({ modelsDir: f.modelsDir });
      registry.record(version, {
        ...(f.holdout ? { holdout: readReport(f.holdout) } : {}),
        ...(f.parent ? { parent: f.parent } : {}),
        ...(f.data ? { trainingData: await hashTrainingData(f.data) } : {}),
      });
      process.stdout.write(formatVersion(registry.show(version)) + '\n');
    });
}
