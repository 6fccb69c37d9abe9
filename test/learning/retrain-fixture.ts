/**
 * Real CICIDS2017 rows for the retraining tests, small enough for 2 shared cores: per class,
 * the latest 20% of its rows (the file is in time order) are the hold-out pool, the earlier
 * rows the training pool. From those, evenly spread: a base set, a pool of flows that become
 * collected samples (scored by "serve", then labelled), and the hold-out. A deliberately weak
 * current model (1 epoch on a few hundred rows) starts the registry.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadLabeledFlows, type LabeledFlows } from '../../src/datasets/labeled-flows.js';
import { classOfLabel, THREAT_CLASSES, type ThreatClass } from '../../src/events/threat-classes.js';
import { V2_DIMS, writeV2FlowPart } from '../../src/features/vector-v2.js';
import { MlpCandidateTrainer } from '../../src/learning/candidate-trainer.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { ModelRegistry } from '../../src/registry/model-registry.js';
import type { FeatureVectorRow } from '../../src/store/offline-store.js';
import { selectRows } from '../../src/training/dataset.js';

// Beside the repository, as ../shared is on every machine that runs these tests (not at a fixed
// absolute path: a clone elsewhere must find it too).
export const CICIDS_TRAIN = resolve(PACKAGE_ROOT, '../shared/data/cicids2017/train.csv');
const DATA = process.env.VIGIL_CICIDS_TRAIN ?? CICIDS_TRAIN;

export interface RetrainData {
  dir: string;
  base: string;
  holdout: string;
  /** Flows that become labelled samples. */
  pool: string;
}

/** `k` indices spread evenly over 0..n-1 (all of them when n <= k). */
function spread(n: number, k: number): number[] {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: k }, (_, i) => Math.floor((i * n) / k));
}

export function writeRetrainData(sizes: { base: number; holdout: number; pool: number }): RetrainData {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-retrain-'));
  const [header, ...lines] = readFileSync(DATA, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
  const labelAt = header!.split(',').indexOf('Label');
  const byClass = new Map<ThreatClass, string[]>();
  for (const line of lines) {
    const c = classOfLabel(line.split(',')[labelAt] ?? '');
    if (c !== undefined) (byClass.get(c) ?? byClass.set(c, []).get(c)!).push(line);
  }
  const out = { base: [] as string[], holdout: [] as string[], pool: [] as string[] };
  for (const rows of byClass.values()) {
    const cut = Math.round(rows.length * 0.8);
    const trainPool = rows.slice(0, cut);
    for (const i of spread(rows.length - cut, sizes.holdout)) out.holdout.push(rows[cut + i]!);
    // Alternate base and sample pool over the spread rows, so both cover the class's time range.
    let inPool = 0;
    spread(trainPool.length, sizes.base + sizes.pool).forEach((i, k) => {
      if (k % 2 === 1 && inPool < sizes.pool) {
        out.pool.push(trainPool[i]!);
        inPool += 1;
      } else out.base.push(trainPool[i]!);
    });
  }
  const write = (name: keyof typeof out) => {
    const path = join(dir, `${name}.csv`);
    writeFileSync(path, [header, ...out[name]].join('\n') + '\n');
    return path;
  };
  return { dir, base: write('base'), holdout: write('holdout'), pool: write('pool') };
}

/** A registry in a temp dir whose CURRENT is `weak`: 1 epoch on `rows` base rows. */
export async function weakRegistry(base: LabeledFlows, rows: number): Promise<string> {
  const modelsDir = join(mkdtempSync(join(tmpdir(), 'vigil-retrain-registry-')), 'models');
  mkdirSync(modelsDir);
  const idx = Int32Array.from({ length: Math.min(rows, base.rows) }, (_, i) => Math.floor((i * base.rows) / Math.min(rows, base.rows)));
  const some = selectRows(base, idx);
  await new MlpCandidateTrainer({ maxEpochs: 1, patience: 1 }).train({ train: some, validation: some }, { modelsDir, version: 'weak', seed: 7, provenance: {} });
  const registry = new ModelRegistry({ modelsDir });
  await registry.promote('weak');
  return modelsDir;
}

export interface ScoredFlow {
  vector: FeatureVectorRow;
  /** The flow's true class. */
  label: ThreatClass;
}

/**
 * The pool's flows as serve would have stored them: a v2 vector (the 79 flow features, the
 * 21 behavioural/graph/intel slots at 0) per event, scored at `ts` by `modelVersion`.
 */
export async function scoredPool(pool: string, prefix: string, ts: number, modelVersion: string): Promise<ScoredFlow[]> {
  const flows = await loadLabeledFlows([pool]);
  return Array.from({ length: flows.rows }, (_, r) => {
    const v2 = new Float64Array(V2_DIMS);
    writeV2FlowPart(flows.x.subarray(r * flows.dims, (r + 1) * flows.dims), v2);
    const label = THREAT_CLASSES[flows.y[r]!]!;
    return {
      vector: { key: `10.9.${r >> 8}.${r & 255}`, ts, eventId: `${prefix}-${r}`, featureVersion: 2, vector: v2, modelVersion, verdictClass: 'normal' },
      label,
    };
  });
}
