import { loadSequenceModel, SEQUENCE_MODEL_DIR } from '../../features/behavioral/sequence-model.js';
import { FeaturePipeline } from '../../features/pipeline.js';
import { loadIntelFiles, type IntelFileOptions, type IntelFiles } from './intel-files.js';
import { createV2FeatureGroups } from './v2-feature-groups.js';

export interface V2PipelineOptions extends IntelFileOptions {
  /** Behavioral LSTM directory (default models/sequence-lstm). */
  sequenceModel?: string;
}

/**
 * A FeaturePipeline of every v2 group with its resources loaded (intel files, sequence
 * model): what `vigil features`, training and evaluation on feature version 2 all step their
 * events through, so a model sees in training the vectors it will be served.
 */
export async function openV2Pipeline(options: V2PipelineOptions, warn: (message: string) => void): Promise<{ pipeline: FeaturePipeline; intel: IntelFiles['loaded'] }> {
  const intel = await loadIntelFiles(options, warn);
  const sequenceModel = await loadSequenceModel(options.sequenceModel ?? SEQUENCE_MODEL_DIR);
  return { pipeline: new FeaturePipeline({ groups: createV2FeatureGroups({ sequenceModel, ...intel }) }), intel: intel.loaded };
}
