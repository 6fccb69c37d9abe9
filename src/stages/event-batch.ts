import type { Verdict } from '../events/verdict.js';
import type { PipelineMark } from '../features/pipeline.js';
import type { InputEvent } from '../sources/file-source.js';
import type { Accepted, DecodedBatch } from './decoded-batch.js';

export type AcceptedInputEvent = Accepted<InputEvent>;

/** One micro-batch of the features topology: flows or security events, ending in v2 vectors. */
export interface EventBatch extends DecodedBatch<InputEvent> {
  /** Feature-version-2 vectors, flat (accepted.length × 100), all finite. */
  vectors?: Float64Array;
  /** The pipeline's step count of the first accepted event (event i is step firstSeq + i). */
  firstSeq?: number;
  /** The pipeline before the batch was stepped, to undo it if its results are dropped. */
  mark?: PipelineMark;
  /** Per accepted event, its verdict; undefined where not scored (security events are not flows). */
  verdicts?: (Verdict | undefined)[];
}
