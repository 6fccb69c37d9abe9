/**
 * The Phase 2 ensemble as a FlowClassifier: one shared transform, then the general model,
 * the router and six one-vs-rest specialists, each temperature-scaled, combined by
 * combine.ts. `predictBatch` is what scoring and `vigil evaluate` call; `predictMembers`
 * also returns every member's calibrated probabilities and the members' agreement (the
 * input of the agreement feature).
 */
import type * as tf from '@tensorflow/tfjs';
import { THREAT_CLASSES } from '../events/threat-classes.js';
import { argMaxRows, predictProbabilities, TransformedClassifier, type ClassifierInfo, type Prediction } from '../inference/classifier.js';
import { agreement } from '../learn/soft-voting.js';
import { applyTemperature } from '../learn/temperature-scaling.js';
import type { TransformParams } from '../vector/transform.js';
import { combineMembers, type Combined, type CombineSettings, type MemberProbabilities } from './combine.js';

const K = THREAT_CLASSES.length;

/** A loaded member network and the temperature fitted for it on the validation split. */
export interface CalibratedNet {
  model: tf.LayersModel;
  temperature: number;
}

export interface EnsembleNets {
  general: CalibratedNet;
  router: CalibratedNet;
  /** By class index 1..6 (index 0, normal, has no specialist). */
  specialists: ReadonlyArray<CalibratedNet | undefined>;
}

export interface MemberPrediction extends Combined {
  members: MemberProbabilities;
  /**
   * Per row, the share of the voters (general, router, specialist panel) whose own decision
   * equals the final class. The specialist panel's decision is the attack class of the most
   * confident specialist at ≥ 0.5, else normal.
   */
  agreement: Float32Array;
}

/** Calibrated probabilities of one member for transformed rows. */
function calibrated(net: CalibratedNet, xT: Float32Array, n: number, width: number, classes: number): Float32Array {
  const raw = predictProbabilities(net.model, xT, n, width);
  return net.temperature === 1 ? raw : applyTemperature(raw, net.temperature, { numClasses: classes, input: 'probabilities' });
}

/** Calibrated outputs of every member for transformed rows (shared by training and scoring). */
export function memberProbabilities(nets: EnsembleNets, xT: Float32Array, n: number, width: number): MemberProbabilities {
  return {
    general: calibrated(nets.general, xT, n, width, K),
    router: calibrated(nets.router, xT, n, width, K),
    specialists: nets.specialists.map((s) => (s ? calibrated(s, xT, n, width, 2) : undefined)),
  };
}

/** The specialist panel's decision per row (see MemberPrediction.agreement). */
function specialistDecisions(specialists: ReadonlyArray<Float32Array | undefined>, n: number): Int32Array {
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0.5;
    specialists.forEach((s, c) => {
      if (s && s[r * 2 + 1]! >= best) {
        best = s[r * 2 + 1]!;
        out[r] = c;
      }
    });
  }
  return out;
}

export class EnsembleClassifier extends TransformedClassifier {
  constructor(
    private readonly nets: EnsembleNets,
    transform: TransformParams,
    readonly settings: CombineSettings,
    info: ClassifierInfo,
  ) {
    super(transform, info);
  }

  predictBatch(xRaw: Float32Array, n: number): Prediction {
    const { probs, predicted } = combineMembers(this.members(xRaw, n), this.settings);
    return { probs, predicted };
  }

  /** predictBatch plus every member's calibrated probabilities, the routes and the agreement. */
  predictMembers(xRaw: Float32Array, n: number): MemberPrediction {
    const members = this.members(xRaw, n);
    const combined = combineMembers(members, this.settings);
    const voters = [argMaxRows(members.general, n, K), argMaxRows(members.router, n, K), specialistDecisions(members.specialists, n)];
    return { ...combined, members, agreement: agreement(voters, combined.predicted) };
  }

  protected releaseNetworks(): void {
    for (const net of [this.nets.general, this.nets.router, ...this.nets.specialists]) net?.model.dispose();
  }

  private members(xRaw: Float32Array, n: number): MemberProbabilities {
    return memberProbabilities(this.nets, this.transformedRows(xRaw, n), n, this.inputWidth);
  }
}
