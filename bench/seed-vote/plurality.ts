/**
 * The seed vote of bench/seed-vote: several models' decisions on the same rows, one class per
 * row by plurality. A tie goes to the tied class with the highest summed final probability,
 * so two models that agree beat three that split, and a split vote follows the surer models.
 */
export interface ScoredRows {
  /** Decided class per row. */
  predicted: Int32Array;
  /** n × k final probabilities. */
  probs: Float32Array;
}

export function pluralityVote(models: readonly ScoredRows[], k: number): Int32Array {
  if (models.length === 0) throw new RangeError('pluralityVote: no models');
  const n = models[0]!.predicted.length;
  for (const m of models) {
    if (m.predicted.length !== n || m.probs.length !== n * k) throw new RangeError(`pluralityVote: every model must score the same ${n} rows of ${k} classes`);
  }
  const votes = new Int32Array(n * k);
  const mass = new Float64Array(n * k);
  for (const m of models) {
    m.predicted.forEach((c, r) => votes[r * k + c]!++);
    m.probs.forEach((p, i) => (mass[i]! += p));
  }
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) {
      const [v, b] = [votes[r * k + c]!, votes[r * k + best]!];
      if (v > b || (v === b && mass[r * k + c]! > mass[r * k + best]!)) best = c;
    }
    out[r] = best;
  }
  return out;
}
