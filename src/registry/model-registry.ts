import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvaluationReport } from '../evaluation/metrics.js';
import { ModelError } from '../errors/vigil-error.js';
import { loadModel } from '../inference/model-store.js';
import { MODELS_DIR } from '../paths.js';
import { decidePromotion, resolvePromotionRule, type PromotionDecision, type PromotionRuleOptions } from './promotion-rule.js';
import { readPointer, writePointer } from './pointers.js';
import { RECORD_FORMAT, readRecord, writeRecord, type RegistryRecord, type TrainingDataHash } from './registry-record.js';
import { RegistryError } from './registry-error.js';
import { withRegistryLock } from './registry-lock.js';
import { versionDir } from './resolve-model.js';
import { assertMove, type VersionStatus } from './version-status.js';

export interface ModelRegistryOptions {
  /** The registry directory: one sub-directory per version, plus CURRENT and PREVIOUS (default: models/). */
  modelsDir?: string;
  /** Promotion thresholds (default DEFAULT_PROMOTION_RULE: +0.02 macro-F1, recall drop <= 0.01). */
  rule?: Partial<PromotionRuleOptions>;
  /** Clock for record timestamps (default: the system clock). */
  now?: () => Date;
  /**
   * Proves a version directory loads; throws ModelError when it does not. The default loads it
   * with the model store (every sha256, feature version, dims, classes, tfjs itself) and disposes it.
   */
  verify?: (dir: string) => Promise<void>;
}

/** One version as the registry sees it. `status` comes from the pointers first (they are the truth), then the record. */
export interface VersionInfo {
  version: string;
  dir: string;
  status: VersionStatus;
  createdAt: string;
  featureVersion: number | null;
  featureLayout: string | null;
  parent: string | null;
  holdout: EvaluationReport | null;
  /** The sidecar as stored, or a fresh candidate record when the version has none yet. */
  record: RegistryRecord;
  /** manifest.json as stored. */
  manifest: Record<string, unknown>;
}

export interface PromotionResult {
  version: string;
  outcome: 'promoted' | 'rejected';
  forced: boolean;
  decision: PromotionDecision;
  /** CURRENT and PREVIOUS after the call. */
  current: string | undefined;
  previous: string | undefined;
}

export interface RollbackResult {
  /** The version served now (was PREVIOUS). */
  current: string;
  /** The version rolled away from (now PREVIOUS, so a second rollback undoes the first). */
  previous: string;
}

/** What `vigil models record` / training adds to a version's record. */
export interface RecordPatch {
  parent?: string | null;
  trainingData?: TrainingDataHash;
  holdout?: EvaluationReport;
}

async function loadAndDispose(dir: string): Promise<void> {
  const { model } = await loadModel(dir);
  model.dispose();
}

// Models of other kinds (models/sequence-lstm: the behavioral LSTM) live beside the flow
// classifiers but are not served by the registry.
const isFlowClassifier = (manifest: Record<string, unknown>): boolean => manifest.kind === undefined || manifest.kind === 'flow-classifier';

/**
 * The model registry (feast's registry shape: get, list, apply): versions are directories
 * under `modelsDir`, CURRENT and PREVIOUS are pointer files switched atomically, and each
 * version's sidecar (registry.json) keeps its status, lineage, hold-out metrics and history.
 */
export class ModelRegistry {
  readonly modelsDir: string;
  private readonly rule: PromotionRuleOptions;
  private readonly now: () => Date;
  private readonly verify: (dir: string) => Promise<void>;

  constructor(options: ModelRegistryOptions = {}) {
    this.modelsDir = options.modelsDir ?? MODELS_DIR;
    this.rule = resolvePromotionRule(options.rule);
    this.now = options.now ?? (() => new Date());
    this.verify = options.verify ?? loadAndDispose;
  }

  /** Every flow-classifier version, oldest first. */
  list(): VersionInfo[] {
    if (!existsSync(this.modelsDir)) throw new RegistryError(`model registry ${this.modelsDir} does not exist`);
    const pointers = this.pointers();
    return readdirSync(this.modelsDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(this.modelsDir, e.name, 'manifest.json')))
      .map((e) => this.info(e.name, pointers))
      .filter((v): v is VersionInfo => v !== undefined)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.version.localeCompare(b.version));
  }

  show(version: string): VersionInfo {
    const info = this.info(version, this.pointers());
    if (!info) throw new RegistryError(`${version} is not a flow classifier version (its manifest names another kind)`);
    return info;
  }

  /** Adds lineage, training-data hash or hold-out metrics to a version's record. */
  record(version: string, patch: RecordPatch): RegistryRecord {
    if (patch.holdout && patch.holdout.model !== this.show(version).manifest.version) {
      throw new RegistryError(`the hold-out report is of model ${patch.holdout.model}, not of ${version}`);
    }
    return withRegistryLock(this.modelsDir, () => {
      const info = this.show(version);
      const record: RegistryRecord = { ...info.record, status: info.status, ...patch };
      writeRecord(info.dir, record);
      return record;
    });
  }

  /**
   * Makes `version` current if it loads and passes the promotion rule (or `force`). Order:
   * 1. load it (checksums, feature version, dims, classes): a ModelError leaves every pointer alone;
   * 2. under the lock, judge it against the current version's hold-out metrics;
   * 3. rejected: record status `rejected` with the reason, pointers unchanged;
   * 4. accepted: PREVIOUS := old current, then CURRENT := version (each write-then-rename),
   *    then the records: old previous -> archived, old current -> previous, version -> current.
   *    A CURRENT naming a missing directory is replaced without becoming PREVIOUS.
   * The pointers are written before the records because they are the truth a reader follows;
   * a crash in between leaves records a step behind, and `list` reads status from the pointers.
   */
  async promote(version: string, options: { force?: boolean } = {}): Promise<PromotionResult> {
    const force = options.force ?? false;
    const dir = versionDir(this.modelsDir, version);
    await this.verifyLoads(version, dir);
    return withRegistryLock(this.modelsDir, () => {
      const { current, previous } = this.pointers();
      if (version === current) throw new RegistryError(`model ${version} is already current`);
      if (version === previous) throw new RegistryError(`model ${version} is the previous version: \`vigil models rollback\` returns to it`);
      const candidate = this.show(version);
      // CURRENT may name a deleted directory; promoting is how an operator recovers, so that
      // version counts as unmeasured (--force needed) and is not kept as PREVIOUS.
      const currentInfo = current !== undefined && this.holds(current) ? this.show(current) : undefined;
      const previousInfo = previous !== undefined && this.holds(previous) ? this.show(previous) : undefined;
      const judged = (v: VersionInfo) => ({ version: v.version, holdout: v.holdout ?? undefined });
      const against = currentInfo ? judged(currentInfo) : current === undefined ? null : { version: current };
      const decision = decidePromotion(judged(candidate), against, this.rule);
      const at = this.now().toISOString();
      if (!decision.accepted && !force) {
        assertMove(version, candidate.status, 'rejected');
        writeRecord(candidate.dir, {
          ...candidate.record,
          status: 'rejected',
          rejection: { at, reason: decision.reason, violations: decision.violations },
          history: [...candidate.record.history, { at, from: candidate.status, to: 'rejected', reason: decision.reason }],
        });
        return { version, outcome: 'rejected', forced: false, decision, current, previous };
      }
      const forced = force && !decision.accepted;
      const moves: Array<[VersionInfo, VersionStatus, string]> = [[candidate, 'current', forced ? `forced over the promotion rule: ${decision.reason}` : decision.reason]];
      if (currentInfo) {
        moves.push([currentInfo, 'previous', `replaced by ${version}`]);
        if (previousInfo) moves.push([previousInfo, 'archived', `${currentInfo.version} became previous when ${version} was promoted`]);
      }
      for (const [info, to] of moves) assertMove(info.version, info.status, to);

      if (currentInfo) writePointer(this.modelsDir, 'previous', currentInfo.version);
      writePointer(this.modelsDir, 'current', version);
      for (const [info, to, reason] of moves) this.writeMove(info, to, reason, at, to === 'current' && forced);
      return { version, outcome: 'promoted', forced, decision, current: version, previous: currentInfo ? currentInfo.version : previous };
    });
  }

  /**
   * Serves PREVIOUS again: it is loaded first (a ModelError leaves the pointers alone), then
   * the pointers swap, so the rolled-back version becomes PREVIOUS and a second rollback
   * undoes the first.
   */
  async rollback(): Promise<RollbackResult> {
    const before = this.pointers();
    if (before.previous === undefined) throw new RegistryError(`no previous version to roll back to (${join(this.modelsDir, 'PREVIOUS')} does not exist)`);
    if (before.current === undefined) throw new RegistryError(`no current version to roll back from (${join(this.modelsDir, 'CURRENT')} does not exist)`);
    const target = before.previous;
    const from = before.current;
    await this.verifyLoads(target, versionDir(this.modelsDir, target));
    return withRegistryLock(this.modelsDir, () => {
      const now = this.pointers();
      if (now.current !== from || now.previous !== target) {
        throw new RegistryError(`the registry changed during rollback (CURRENT ${String(now.current)}, PREVIOUS ${String(now.previous)}); run it again`, { retriable: true });
      }
      const moves: Array<[VersionInfo, VersionStatus]> = [
        [this.show(target), 'current'],
        [this.show(from), 'previous'],
      ];
      for (const [info, to] of moves) assertMove(info.version, info.status, to);
      writePointer(this.modelsDir, 'previous', from);
      writePointer(this.modelsDir, 'current', target);
      const at = this.now().toISOString();
      for (const [info, to] of moves) this.writeMove(info, to, `rollback from ${from} to ${target}`, at, false);
      return { current: target, previous: from };
    });
  }

  private holds(version: string): boolean {
    return existsSync(join(this.modelsDir, version, 'manifest.json'));
  }

  private pointers(): { current: string | undefined; previous: string | undefined } {
    return { current: readPointer(this.modelsDir, 'current'), previous: readPointer(this.modelsDir, 'previous') };
  }

  private async verifyLoads(version: string, dir: string): Promise<void> {
    const manifest = readManifestJson(dir);
    // Verdicts carry the manifest's version: a directory holding another version's manifest
    // (a copy nobody renamed) would serve under a false name.
    if (manifest.version !== version) throw new ModelError(`model directory ${dir} holds the manifest of version ${String(manifest.version)}, not ${version}`);
    await this.verify(dir);
  }

  private writeMove(info: VersionInfo, to: VersionStatus, reason: string, at: string, forced: boolean): void {
    writeRecord(info.dir, {
      ...info.record,
      status: to,
      history: [...info.record.history, { at, from: info.status, to, reason, ...(forced ? { forced } : {}) }],
    });
  }

  private info(version: string, pointers: { current: string | undefined; previous: string | undefined }): VersionInfo | undefined {
    const dir = versionDir(this.modelsDir, version);
    const manifest = readManifestJson(dir);
    if (!isFlowClassifier(manifest)) return undefined;
    const stored = readRecord(dir);
    // A directory copied with its sidecar would otherwise claim the other version's metrics.
    if (stored && stored.version !== version) {
      throw new RegistryError(`${join(dir, 'registry.json')} is the record of version ${stored.version}, not ${version}: delete it or copy the right one`);
    }
    const createdAt = stored?.createdAt ?? (typeof manifest.createdAt === 'string' ? manifest.createdAt : '');
    const status = effectiveStatus(version, stored?.status ?? 'candidate', pointers);
    const record: RegistryRecord = stored ?? { recordFormat: RECORD_FORMAT, version, status, createdAt, history: [] };
    return {
      version,
      dir,
      status,
      createdAt,
      featureVersion: typeof manifest.featureVersion === 'number' ? manifest.featureVersion : null,
      featureLayout: typeof manifest.featureLayout === 'string' ? manifest.featureLayout : null,
      parent: record.parent ?? null,
      holdout: record.holdout ?? null,
      record,
      manifest,
    };
  }
}

/**
 * The pointers decide current and previous; a record still saying `current` or `previous`
 * after a pointer moved without the registry (e.g. `vigil train --set-current`) is shown as archived.
 */
function effectiveStatus(version: string, recorded: VersionStatus, p: { current: string | undefined; previous: string | undefined }): VersionStatus {
  if (version === p.current) return 'current';
  if (version === p.previous) return 'previous';
  return recorded === 'current' || recorded === 'previous' ? 'archived' : recorded;
}

// Read leniently: list and show must describe any manifest, even one this build cannot load.
function readManifestJson(dir: string): Record<string, unknown> {
  const path = join(dir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ModelError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ModelError(`${path} is not a JSON object`);
  return raw as Record<string, unknown>;
}
