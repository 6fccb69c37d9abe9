import type { Verdict } from '../events/verdict.js';
import type { VerdictSink } from '../sinks/verdict-jsonl.js';

/**
 * Writes a batch's verdicts; resolves once the sink has taken them. An event without one
 * (the features topology scores flows, not security events) writes nothing.
 */
export function writeVerdicts<B extends { verdicts?: readonly (Verdict | undefined)[] }>(sink: VerdictSink): (batch: B) => Promise<B> {
  return async (batch) => {
    await sink.write((batch.verdicts ?? []).filter((v): v is Verdict => v !== undefined));
    return batch;
  };
}
