import { lastValueFrom, tap, defaultIfEmpty } from 'rxjs';
import { detectTopology } from '../../topologies/detect.js';
import { initBackend } from '../inference/backend.js';
import { loadFlowClassifier } from '../ensemble/load-flow-classifier.js';
import { needsFeaturePipeline, VECTORIZED_MODELS } from '../stages/vectorize.js';
import { OUTCOME_LAG_DEFAULT } from '../features/pipeline.js';
import { readManifest } from '../inference/model-store.js';
import { runFeatures } from './run-features.js';
import { resolveModelDir } from '../registry/resolve-model.js';
import { createDlqWriter } from '../sinks/dlq-file.js';
import { createVerdictSink } from '../sinks/verdict-jsonl.js';
import { openFileSource } from '../sources/file-source.js';
import { DetectSummary, type DetectReport } from '../stages/detect-summary.js';
import { childLogger } from '../telemetry/logger.js';

export interface DetectRunOptions {
  inputs: string[];
  model?: string;
  /** Verdict output: a file, '-' for stdout, or null to discard. */
  out: string | null;
  dlq: string | null;
  batchSize: number;
  batchWaitMs: number;
  backend?: 'auto' | 'node' | 'wasm' | 'cpu';
}

export interface DetectRunResult extends DetectReport {
  model: string;
  backend: string;
  deadLetterReasons: Record<string, number>;
}

const log = childLogger('detect');

/**
 * Runs the detect topology over files (or stdin) with one model, and summarises the run. A
 * model of a feature version the detect topology does not compute (2: per-source state) is
 * run through the features topology instead, writing the same verdicts and summary.
 */
export async function runDetect(o: DetectRunOptions): Promise<DetectRunResult> {
  const backend = await initBackend(o.backend ?? 'auto');
  const modelDir = resolveModelDir(o.model);
  const manifest = await readManifest(modelDir);
  if (needsFeaturePipeline(manifest.featureVersion)) return detectWithPipeline(o, modelDir, manifest.version, backend);
  const classifier = await loadFlowClassifier(modelDir, VECTORIZED_MODELS);
  classifier.warmUp();
  log.info({ model: classifier.version, backend, dir: modelDir }, 'model loaded');

  const deadLetters = createDlqWriter(o.dlq);
  const verdicts = createVerdictSink(o.out);
  const summary = new DetectSummary();
  try {
    for (const input of o.inputs) {
      const { source, decoder, format } = await openFileSource(input);
      log.info({ input, format }, 'reading');
      await lastValueFrom(
        detectTopology({
          source,
          decoder,
          deadLetters,
          models: { current: () => classifier },
          verdicts,
          batch: { maxSize: o.batchSize, maxWaitMs: o.batchWaitMs },
        }).pipe(
          tap((batch) => summary.observe(batch)),
          defaultIfEmpty(null),
        ),
      );
    }
  } finally {
    await verdicts.close();
    await deadLetters.close();
    classifier.dispose();
  }
  return { ...summary.report(), model: classifier.version, backend, deadLetterReasons: deadLetters.counts() };
}

async function detectWithPipeline(o: DetectRunOptions, modelDir: string, model: string, backend: string): Promise<DetectRunResult> {
  const summary = new DetectSummary();
  log.info({ model, dir: modelDir, backend }, 'model takes feature-version-2 vectors: scoring through the features topology');
  const run = await runFeatures({
    inputs: o.inputs,
    model: modelDir,
    ...(o.backend && { backend: o.backend }),
    out: null,
    ...(o.out !== null && { verdicts: o.out }),
    dlq: o.dlq,
    // A verdict must teach feature 83 before its outcome falls due (topologies/features.ts).
    batchSize: Math.min(o.batchSize, OUTCOME_LAG_DEFAULT),
    batchWaitMs: o.batchWaitMs,
    onBatch: (batch) => summary.observe(batch),
  });
  return { ...summary.report(), model, backend, deadLetterReasons: run.deadLetterReasons };
}

export function formatDetectResult(r: DetectRunResult): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const lines = [
    `model ${r.model} (backend ${r.backend})`,
    `records ${r.records}  events scored ${r.events}  dead-lettered ${r.deadLettered}` +
      (r.deadLettered ? ` (${Object.entries(r.deadLetterReasons).map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''),
    `throughput ${r.eventsPerSecond.toFixed(0)} events/s over ${r.seconds.toFixed(2)} s`,
    `latency per event p50 ${r.latencyMs.p50.toFixed(2)} ms  p99 ${r.latencyMs.p99.toFixed(2)} ms  max ${r.latencyMs.max.toFixed(2)} ms`,
    'verdicts per class:',
    ...Object.entries(r.verdictsPerClass).map(([c, n]) => `  ${c.padEnd(12)} ${String(n).padStart(8)}`),
    r.accuracy === null
      ? 'accuracy: no labelled events'
      : `accuracy against labels ${pct(r.accuracy)} (${r.labelled} labelled events)`,
  ];
  return lines.join('\n');
}
