import type { VerdictSink } from '../sinks/verdict-jsonl.js';
import type { FlowBatch } from './flow-batch.js';

export function writeVerdicts(sink: VerdictSink): (batch: FlowBatch) => Promise<FlowBatch> {
  return async (batch) => {
    await sink.write(batch.verdicts ?? []);
    return batch;
  };
}
