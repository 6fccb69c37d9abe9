import { describe, expect, it } from 'vitest';
import { pluralityVote } from '../../bench/seed-vote/plurality.js';

/** One model's scores for rows given as [decided class, probabilities over 3 classes]. */
function model(rows: Array<[number, number[]]>) {
  return { predicted: Int32Array.from(rows.map(([c]) => c)), probs: Float32Array.from(rows.flatMap(([, p]) => p)) };
}

describe('pluralityVote', () => {
  it('takes the class most models decided, whatever their probabilities', () => {
    const sure = model([[2, [0, 0, 1]]]);
    const unsure = model([[1, [0.3, 0.4, 0.3]]]);
    expect(Array.from(pluralityVote([unsure, unsure, sure], 3))).toEqual([1]);
  });

  it('breaks a tie by the summed probabilities of the tied classes only', () => {
    // 1 and 2 tie at one vote each; class 0, undecided by all, has the most mass but is not tied.
    const a = model([[1, [0.5, 0.45, 0.05]]]);
    const b = model([[2, [0.5, 0.1, 0.4]]]);
    expect(Array.from(pluralityVote([a, b], 3))).toEqual([1]);
  });

  it('votes row by row', () => {
    const a = model([[0, [1, 0, 0]], [2, [0, 0, 1]]]);
    const b = model([[0, [1, 0, 0]], [1, [0, 1, 0]]]);
    const c = model([[1, [0, 1, 0]], [2, [0, 0, 1]]]);
    expect(Array.from(pluralityVote([a, b, c], 3))).toEqual([0, 2]);
  });

  it('refuses models that scored different rows', () => {
    expect(() => pluralityVote([model([[0, [1, 0, 0]]]), model([])], 3)).toThrow(RangeError);
    expect(() => pluralityVote([], 3)).toThrow(/no models/);
  });
});
