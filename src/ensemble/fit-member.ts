/**
 * Fits one ensemble member with the shared loop (../training/fit-network.ts) on rows that are
 * ALREADY transformed (the ensemble shares one transform, and balanced rows are synthesised in
 * transformed space). Early stopping: the class-0 false-positive budget, then macro-F1 over
 * the classes present. Class 0 is `normal` for the general model and the router, and `rest`
 * for a one-vs-rest specialist, whose false alarms the budget then bounds.
 */
import { classMetrics, confusionMatrix } from '../evaluation/metrics.js';
import { argMaxRows } from '../inference/classifier.js';
import { fitNetwork, type FittedNetwork, type NetworkEpoch, type NetworkRows } from '../training/fit-network.js';
import type { Validation } from '../training/validation.js';

export interface MemberFitOptions {
  seed: number;
  hidden: number[];
  dropout: number;
  learningRate: number;
  lrDecay: number;
  batchSize: number;
  maxEpochs: number;
  patience: number;
  /** Validation class-0 false-positive budget (see the module comment); 1 = off. */
  maxBenignFPR: number;
  /** 'ce': cross-entropy; 'focal': focal loss with `focalGamma` (../learn/focal-loss.ts). */
  loss: 'ce' | 'focal';
  focalGamma: number;
  /** Exactly `maxEpochs` epochs, keeping the last (a refit); see ../training/fit-network.ts. */
  keepLastEpoch?: boolean;
}

/** Transformed rows with class labels in [0, classes). */
export type MemberRows = NetworkRows;

export type MemberEpoch = NetworkEpoch;
export type FittedMember = FittedNetwork;

/** Scores a member's probabilities on labelled rows: the same figures early stopping uses. */
export function scoreMember(probs: Float32Array, y: Int32Array, classes: number): Validation {
  const ceByClass = new Float64Array(classes);
  const count = new Float64Array(classes);
  for (let r = 0; r < y.length; r++) {
    ceByClass[y[r]!]! -= Math.log(Math.max(probs[r * classes + y[r]!]!, 1e-7));
    count[y[r]!]! += 1;
  }
  const present = [...count.keys()].filter((c) => count[c]! > 0);
  const confusion = confusionMatrix(y, argMaxRows(probs, y.length, classes), classes);
  const metrics = classMetrics(confusion);
  const normalRow = confusion[0]!;
  const normals = normalRow.reduce((s, v) => s + v, 0);
  return {
    valLoss: ceByClass.reduce((s, v) => s + v, 0) / y.length,
    valBalancedLoss: present.reduce((s, c) => s + ceByClass[c]! / count[c]!, 0) / present.length,
    // Over the classes present only: a specialist has 2 classes, a small split may miss one.
    valMacroF1: present.reduce((s, c) => s + metrics[c]!.f1, 0) / present.length,
    valBenignFPR: normals > 0 ? (normals - normalRow[0]!) / normals : 0,
    valRecall: metrics.map((m) => m.recall),
  };
}

/**
 * Trains an MLP width → hidden → classes on `train` with per-class loss weights
 * `classWeight`, early-stopped on `validation` by macro-F1 over the classes present.
 */
export async function fitMember(
  train: MemberRows,
  validation: MemberRows,
  width: number,
  classes: number,
  classWeight: ArrayLike<number>,
  o: MemberFitOptions,
): Promise<FittedMember> {
  const options = { ...o, inputDropout: 0, monitor: 'valMacroF1' as const, maxSeconds: null };
  return fitNetwork(train, validation, { width, classes }, classWeight, options, (probs, y) => scoreMember(probs, y, classes));
}
