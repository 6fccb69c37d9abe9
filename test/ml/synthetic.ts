import { THREAT_CLASSES } from '../../src/events/threat-classes.js';
import { FLOW_FEATURE_COUNT } from '../../src/features/flow-features.js';
import { mulberry32 } from '../../src/training/rng.js';
import type { LabelledRows } from '../../src/training/dataset.js';

/**
 * Small labelled flows for tests: each class is a cloud around its own centre in log space
 * (flow counters are heavy-tailed), with some missing values, and `noise` of the labels
 * flipped at random so a model can overfit.
 */
export function syntheticFlows(perClass: number[], seed: number, noise = 0): LabelledRows {
  const dims = FLOW_FEATURE_COUNT;
  const rng = mulberry32(seed);
  const centres = THREAT_CLASSES.map((_, c) => Array.from({ length: dims }, (_, j) => ((c * 7 + j * 3) % 11) / 2));
  const n = perClass.reduce((s, v) => s + v, 0);
  const x = new Float32Array(n * dims);
  const y = new Int32Array(n);
  const ports = [443, 80, 80, 22, 80, 8080, 444];
  let r = 0;
  perClass.forEach((count, c) => {
    for (let i = 0; i < count; i++, r++) {
      y[r] = noise > 0 && rng() < noise ? Math.floor(rng() * THREAT_CLASSES.length) : c;
      for (let j = 0; j < dims; j++) {
        x[r * dims + j] = rng() < 0.02 ? Number.NaN : Math.expm1(Math.max(0, centres[c]![j]! + (rng() - 0.5) * 3));
      }
      // dst_port: mostly the class's service port, sometimes an ephemeral one.
      x[r * dims] = rng() < 0.8 ? ports[c]! : 49152 + Math.floor(rng() * 16000);
    }
  });
  return { x, y, dims };
}
