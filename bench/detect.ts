/**
 * bench/detect: throughput and per-event latency of the detect topology on the embedded
 * default (committed sample, shipped model, no services), verdicts discarded so the figure
 * is the engine's, not the terminal's. `--model` measures another model; one of feature
 * version 2 runs through the feature pipeline (see runDetect), so the figure includes it.
 *
 *   npm run bench:detect [-- --rounds 3 --batch-size 256 --backend wasm --model DIR|VERSION]
 */
import { parseArgs } from 'node:util';
import { runDetect } from '../src/cli/run-detect.js';
import { DEMO_SAMPLE } from '../src/cli/commands/detect.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'batch-size': { type: 'string', default: '256' },
    'batch-wait-ms': { type: 'string', default: '20' },
    backend: { type: 'string', default: 'auto' },
    data: { type: 'string', default: DEMO_SAMPLE },
    model: { type: 'string' },
  },
});

const rounds = Number(values.rounds);
console.log(`bench/detect: ${values.data}, model ${values.model ?? 'CURRENT'}, batch ${values['batch-size']}, ${rounds} rounds (first is warm-up)`);
console.log('round  events  events/s   p50 ms   p99 ms   max ms  heap MB');
for (let round = 0; round <= rounds; round++) {
  const r = await runDetect({
    inputs: [values.data],
    out: null,
    dlq: null,
    batchSize: Number(values['batch-size']),
    batchWaitMs: Number(values['batch-wait-ms']),
    backend: values.backend as 'auto',
    ...(values.model !== undefined && { model: values.model }),
  });
  const heap = process.memoryUsage().heapUsed / 2 ** 20;
  console.log(
    [round === 0 ? 'warm' : String(round), r.events, r.eventsPerSecond.toFixed(0), r.latencyMs.p50.toFixed(2), r.latencyMs.p99.toFixed(2), r.latencyMs.max.toFixed(2), heap.toFixed(0)]
      .map((c, i) => (i === 0 ? String(c).padEnd(5) : String(c).padStart(8)))
      .join(' '),
  );
}
