import { describe, expect, it } from 'vitest';
import { emptyReliabilityTally, reliabilityOf, tallyReliability } from '../../src/evaluation/calibration.js';

// Four rows of a 2-class model: (probabilities, predicted, true). Off the bin edges on purpose:
// as a float32, 0.9 is just under 0.9 and so belongs to the 0.8-0.9 bin.
const PROBS = new Float32Array([0.92, 0.08, 0.96, 0.04, 0.28, 0.72, 0.64, 0.36]);
const PREDICTED = new Int32Array([0, 0, 1, 0]);
const TRUE = new Int32Array([0, 1, 1, 0]);

describe('reliability bins and expected calibration error', () => {
  it('bins rows by the probability of their predicted class and weighs each bin gap by its rows', () => {
    const tally = emptyReliabilityTally(10);
    tallyReliability(tally, PROBS, PREDICTED, TRUE, 2);
    const r = reliabilityOf(tally);
    expect(r.rows).toBe(4);
    expect(r.bins.map((b) => b.rows)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 0, 2]);
    const top = r.bins[9]!;
    expect(top.meanConfidence).toBeCloseTo(0.94, 6);
    expect(top.accuracy).toBe(0.5);
    expect(r.bins[0]!.accuracy).toBeNull();
    // By the definition: 2/4·|0.5−0.94| + 1/4·|1−0.72| + 1/4·|1−0.64|.
    expect(r.ece).toBeCloseTo(0.5 * 0.44 + 0.25 * 0.28 + 0.25 * 0.36, 6);
  });

  it('puts a confidence of exactly 1 in the last bin', () => {
    const tally = emptyReliabilityTally(5);
    tallyReliability(tally, new Float32Array([1, 0, 0]), new Int32Array([0]), new Int32Array([0]), 3);
    expect(tally.rows).toEqual([0, 0, 0, 0, 1]);
    expect(reliabilityOf(tally).ece).toBe(0);
  });

  it('gives the same result tallied in chunks as at once', () => {
    const whole = emptyReliabilityTally();
    tallyReliability(whole, PROBS, PREDICTED, TRUE, 2);
    const chunked = emptyReliabilityTally();
    tallyReliability(chunked, PROBS.subarray(0, 4), PREDICTED.subarray(0, 2), TRUE.subarray(0, 2), 2);
    tallyReliability(chunked, PROBS.subarray(4), PREDICTED.subarray(2), TRUE.subarray(2), 2);
    expect(reliabilityOf(chunked)).toEqual(reliabilityOf(whole));
  });

  it('refuses mismatched inputs and bad bin counts', () => {
    expect(() => tallyReliability(emptyReliabilityTally(), PROBS, PREDICTED, new Int32Array(3), 2)).toThrow(RangeError);
    expect(() => tallyReliability(emptyReliabilityTally(), PROBS.subarray(0, 6), PREDICTED, TRUE, 2)).toThrow(RangeError);
    expect(() => emptyReliabilityTally(0)).toThrow(RangeError);
  });
});
