import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import { lastValueFrom, toArray } from 'rxjs';
import { detectTopology } from '../../topologies/detect.js';
import { initBackend } from '../../src/inference/backend.js';
import { loadFlowClassifier } from '../../src/ensemble/load-flow-classifier.js';
import type { FlowClassifier } from '../../src/inference/classifier.js';
import { resolveModelDir } from '../../src/registry/resolve-model.js';
import { createDlqWriter } from '../../src/sinks/dlq-file.js';
import { createVerdictSink } from '../../src/sinks/verdict-jsonl.js';
import { openFileSource } from '../../src/sources/file-source.js';
import { THREAT_CLASSES } from '../../src/events/threat-classes.js';
import type { Verdict } from '../../src/events/verdict.js';
import { sampleLines } from '../helpers/sample.js';

/**
 * The detect topology end to end on a small real file with bad lines mixed in, with the
 * shipped default model: every good line gets exactly one verdict, every bad one a dead
 * letter with its line number, and the source hears that the last line is durable.
 */
describe('detect topology', () => {
  let classifier: FlowClassifier;
  beforeAll(async () => {
    await initBackend('auto');
    classifier = await loadFlowClassifier(resolveModelDir());
  });

  it('scores good lines, dead-letters bad ones, acknowledges the end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-detect-'));
    const { header, lines } = sampleLines(60);
    const cells = lines[0]!.split(',');
    const bad = new Map<number, string>([
      [5, cells.slice(0, 50).join(',')], // column-count
      [17, [...cells.slice(0, 10), 'abc', ...cells.slice(11)].join(',')], // non-numeric
      [30, cells.map((c, i) => (i === 6 ? '99' : c)).join(',')], // unknown-protocol
    ]);
    const body: string[] = [];
    lines.forEach((l, i) => body.push(bad.get(i) ?? l));
    const input = join(dir, 'flows.csv');
    writeFileSync(input, [header, ...body].join('\n') + '\n');

    const { source, decoder } = await openFileSource(input);
    const dlq = createDlqWriter(join(dir, 'dlq.jsonl'));
    const sink = createVerdictSink(join(dir, 'verdicts.jsonl'));
    const batches = await lastValueFrom(
      detectTopology({
        source,
        decoder,
        deadLetters: dlq,
        models: { current: () => classifier },
        verdicts: sink,
        batch: { maxSize: 16, maxWaitMs: 10 },
      }).pipe(toArray()),
    );
    await sink.close();
    await dlq.close();

    expect(batches.reduce((n, b) => n + b.size, 0)).toBe(60);
    const verdicts = readFileSync(join(dir, 'verdicts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Verdict);
    expect(verdicts).toHaveLength(57);
    const expectedKeys = lines.filter((_, i) => !bad.has(i)).map((l) => { const c = l.split(','); return `${c[0]}|${c[1]}|${c[7]}`; });
    expect(verdicts.map((v) => v.eventKey)).toEqual(expectedKeys);
    for (const v of verdicts) {
      expect(v.modelVersion).toBe(classifier.version);
      expect(v.featureVersion).toBe(1);
      expect(THREAT_CLASSES).toContain(v.class);
      const total = Object.values(v.probabilities).reduce((a, b) => a + b, 0);
      expect(total).toBeCloseTo(1, 4);
      expect(v.latencyMs).toBeGreaterThanOrEqual(0);
    }
    const dead = readFileSync(join(dir, 'dlq.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { code: string; line: number });
    // File line = data index + 2 (1-based, after the header).
    expect(dead.map((d) => [d.line, d.code])).toEqual([[7, 'column-count'], [19, 'non-numeric'], [32, 'unknown-protocol']]);
    expect(source.durableLine).toBe(61);
  });
});
