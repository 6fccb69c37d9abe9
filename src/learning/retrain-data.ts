/**
 * The rows a retrain learns from: the base data set (CICIDS2017 train split, raw flow
 * vectors) plus the training samples collected from labels, projected to the model's
 * feature version. Pure except for the store scan.
 */
import { classIndex } from '../events/threat-classes.js';
import { canProject, projectVector } from '../features/registry.js';
import type { LabeledFlows } from '../datasets/labeled-flows.js';
import type { OfflineStore, ScanRange } from '../store/offline-store.js';
import { selectRows, type LabelledRows } from '../training/dataset.js';
import { timeOrderedHoldout } from '../training/holdout.js';

export interface CollectedRows extends LabelledRows {
  /** Samples read from the store. */
  read: number;
  /** Samples left out because their feature version cannot be projected to the model's, by version. */
  unprojectable: Record<number, number>;
}

/**
 * The training samples of `range` as raw rows of `featureVersion` (e.g. 100-dim v2 vectors to
 * the 79 flow features of v1), in scan order. A sample whose version has no projection is
 * counted, not guessed at.
 */
export async function collectedRows(store: Pick<OfflineStore, 'scan'>, range: ScanRange, featureVersion: number, dims: number): Promise<CollectedRows> {
  const x: number[] = [];
  const y: number[] = [];
  const unprojectable: Record<number, number> = {};
  let read = 0;
  for await (const batch of store.scan('training_samples', range)) {
    for (const sample of batch) {
      read += 1;
      if (!canProject(sample.featureVersion, featureVersion)) {
        unprojectable[sample.featureVersion] = (unprojectable[sample.featureVersion] ?? 0) + 1;
        continue;
      }
      const row = projectVector(sample.features, sample.featureVersion, featureVersion);
      if (row.length !== dims) throw new RangeError(`feature version ${featureVersion} has ${row.length} dims, the model ${dims}`);
      for (const v of row) x.push(v);
      y.push(classIndex(sample.label));
    }
  }
  return { x: Float32Array.from(x), y: Int32Array.from(y), dims, read, unprojectable };
}

/** Rows of `a` then rows of `b`. */
export function concatRows(a: LabelledRows, b: LabelledRows): LabelledRows {
  if (a.dims !== b.dims) throw new RangeError(`concatRows: ${a.dims} dims and ${b.dims} dims`);
  const x = new Float32Array(a.x.length + b.x.length);
  x.set(a.x);
  x.set(b.x, a.x.length);
  const y = new Int32Array(a.y.length + b.y.length);
  y.set(a.y);
  y.set(b.y, a.y.length);
  return { x, y, dims: a.dims };
}

/**
 * The base set split for early stopping: per attack type (source label), the latest
 * `validationShare` of its rows validate, the rest train (as `vigil train` splits).
 */
export function splitBase(base: LabeledFlows, validationShare: number): { train: LabelledRows; validation: LabelledRows } {
  const split = timeOrderedHoldout(base.ts, base.labelGroup, validationShare);
  return { train: selectRows(base, split.train), validation: selectRows(base, split.holdout) };
}
