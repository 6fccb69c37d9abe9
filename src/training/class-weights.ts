/**
 * Per-class loss weights w_c ∝ n_c^-power, scaled so the mean weight per training row is 1
 * (the loss keeps its scale whatever the power). power 1 is plain inverse frequency: every
 * class weighs as much in total as any other, which a 33-row class among 19k-row ones needs
 * to be learnt at all; power < 1 softens it. Classes without rows get 0 (they add nothing).
 */
export function classWeights(y: Int32Array, numClasses: number, power = 1): Float32Array {
  const counts = new Float64Array(numClasses);
  for (let i = 0; i < y.length; i++) {
    const c = y[i]!;
    if (c < 0 || c >= numClasses) throw new RangeError(`row ${i}: class index ${c} out of range 0..${numClasses - 1}`);
    counts[c]! += 1;
  }
  const raw = Array.from(counts, (n) => (n > 0 ? n ** -power : 0));
  const total = raw.reduce((s, w, c) => s + w * counts[c]!, 0);
  return Float32Array.from(raw, (w) => (total > 0 ? (w * y.length) / total : 0));
}
