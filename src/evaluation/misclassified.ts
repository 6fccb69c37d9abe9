/**
 * The rows a model got wrong, one record each (`vigil evaluate --errors FILE`): where the flow
 * came from, its label, the decision, the final probabilities and, for an ensemble, what each
 * member said and where the router sent it. Analysts read these to see which flows a model
 * confuses and whether any member had it right; a confusion matrix cannot say either.
 */
import type { FlowOrigin } from '../datasets/labeled-flows.js';
import type { MemberProbabilities } from '../ensemble/combine.js';
import { InputError } from '../errors/vigil-error.js';
import { NO_ROUTE } from '../learn/soft-voting.js';

export interface MisclassifiedRow extends FlowOrigin {
  /** The source label as written in the input (e.g. "DoS GoldenEye"). */
  label: string;
  /** Its class, and the class the model decided. */
  class: string;
  predicted: string;
  /** Final probabilities by class. */
  probs: Record<string, number>;
  /** Ensembles: the router's choice ("fallback" when it was not confident enough). */
  route?: string;
  /** Ensembles: each member's calibrated probabilities; a specialist's is q for its own class. */
  members?: { general: Record<string, number>; router: Record<string, number>; specialists: Record<string, number> };
}

/** Rows `start .. start + n - 1` of a scored set, as their arguments' chunks. */
export interface ScoredChunk {
  start: number;
  y: ArrayLike<number>;
  predicted: ArrayLike<number>;
  /** n × classes. */
  probs: ArrayLike<number>;
  /** Ensembles: the members' outputs and routes for the same rows. */
  members?: { members: MemberProbabilities; routes: ArrayLike<number> };
}

/** What the whole set says of every row: where it came from and its source label. */
export interface RowSources {
  classes: readonly string[];
  origins: readonly FlowOrigin[];
  labels: readonly string[];
  labelGroup: ArrayLike<number>;
}

// Six decimals: enough to tell 0.999999 from 1, short enough to read a line.
const round = (v: number): number => Math.round(v * 1e6) / 1e6;

function byClass(values: ArrayLike<number>, row: number, names: readonly string[]): Record<string, number> {
  const k = names.length;
  return Object.fromEntries(names.map((c, j) => [c, round(values[row * k + j]!)]));
}

export function misclassifiedRows(chunk: ScoredChunk, sources: RowSources): MisclassifiedRow[] {
  const { classes } = sources;
  const k = classes.length;
  const n = chunk.y.length;
  if (chunk.predicted.length !== n || chunk.probs.length !== n * k) {
    throw new InputError(`misclassifiedRows: ${n} labels, ${chunk.predicted.length} decisions and ${chunk.probs.length} probabilities (expected ${n} × ${k})`);
  }
  if (chunk.start + n > sources.origins.length) throw new InputError(`misclassifiedRows: rows up to ${chunk.start + n} but only ${sources.origins.length} origins`);
  const out: MisclassifiedRow[] = [];
  for (let i = 0; i < n; i++) {
    if (chunk.predicted[i] === chunk.y[i]) continue;
    const r = chunk.start + i;
    const row: MisclassifiedRow = {
      ...sources.origins[r]!,
      label: sources.labels[sources.labelGroup[r]!]!,
      class: classes[chunk.y[i]!]!,
      predicted: classes[chunk.predicted[i]!]!,
      probs: byClass(chunk.probs, i, classes),
    };
    if (chunk.members) {
      const { members, routes } = chunk.members;
      const route = routes[i]!;
      row.route = route === NO_ROUTE ? 'fallback' : classes[route]!;
      const specialists: Record<string, number> = {};
      members.specialists.forEach((s, c) => {
        if (s) specialists[classes[c]!] = round(s[i * 2 + 1]!);
      });
      row.members = { general: byClass(members.general, i, classes), router: byClass(members.router, i, classes), specialists };
    }
    out.push(row);
  }
  return out;
}
