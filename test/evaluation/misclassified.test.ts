import { describe, expect, it } from 'vitest';
import type { FlowOrigin } from '../../src/datasets/labeled-flows.js';
import { misclassifiedRows } from '../../src/evaluation/misclassified.js';
import { NO_ROUTE } from '../../src/learn/soft-voting.js';

const classes = ['normal', 'dos', 'recon'];
const origin = (line: number): FlowOrigin => ({ position: `f.csv:${line}`, srcIp: '10.0.0.1', srcPort: 1000 + line, dstIp: '10.0.0.2', dstPort: 80, protocol: 6 });
const sources = { classes, origins: [2, 3, 4, 5].map(origin), labels: ['BENIGN', 'DDoS', 'PortScan'], labelGroup: Int32Array.from([0, 1, 2, 1]) };

describe('misclassifiedRows', () => {
  it('keeps only the wrong rows of a chunk, with their origin, source label and probabilities', () => {
    // Rows 1..3 of the set (start 1): DDoS right, PortScan called normal, DDoS called recon.
    const rows = misclassifiedRows({ start: 1, y: [1, 2, 1], predicted: [1, 0, 2], probs: [0.1, 0.8, 0.1, 0.6, 0.1, 0.3, 0.2, 0.3, 0.5] }, sources);
    expect(rows).toEqual([
      { ...origin(4), label: 'PortScan', class: 'recon', predicted: 'normal', probs: { normal: 0.6, dos: 0.1, recon: 0.3 } },
      { ...origin(5), label: 'DDoS', class: 'dos', predicted: 'recon', probs: { normal: 0.2, dos: 0.3, recon: 0.5 } },
    ]);
  });

  it("adds an ensemble's route and members: each specialist as q of its own class", () => {
    const members = {
      general: Float32Array.from([0.7, 0.2, 0.1]),
      router: Float32Array.from([0.5, 0.4, 0.1]),
      specialists: [undefined, Float32Array.from([0.1, 0.9]), Float32Array.from([0.95, 0.05])],
    };
    const [row] = misclassifiedRows({ start: 3, y: [1], predicted: [0], probs: [0.7, 0.2, 0.1], members: { members, routes: [NO_ROUTE] } }, sources);
    expect(row!.route).toBe('fallback');
    expect(row!.members!.general).toEqual({ normal: 0.7, dos: 0.2, recon: 0.1 });
    expect(row!.members!.router.normal).toBe(0.5);
    expect(row!.members!.specialists).toEqual({ dos: 0.9, recon: 0.05 });
    expect(misclassifiedRows({ start: 3, y: [1], predicted: [0], probs: [0.7, 0.2, 0.1], members: { members, routes: [2] } }, sources)[0]!.route).toBe('recon');
  });

  it('refuses chunks whose sizes disagree or run past the origins', () => {
    expect(() => misclassifiedRows({ start: 0, y: [1, 2], predicted: [1], probs: [0, 1, 0, 0, 0, 1] }, sources)).toThrow(/2 labels, 1 decisions/);
    expect(() => misclassifiedRows({ start: 3, y: [1, 2], predicted: [1, 2], probs: [0, 1, 0, 0, 0, 1] }, sources)).toThrow(/only 4 origins/);
  });
});
