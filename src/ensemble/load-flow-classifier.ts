import { ModelError } from '../errors/vigil-error.js';
import { featureLayout } from '../features/registry.js';
import { loadClassifier, type FlowClassifier } from '../inference/classifier.js';
import { readManifest } from '../inference/model-store.js';
import { isEnsembleManifest, loadEnsemble } from './ensemble-store.js';

export interface LoadFlowClassifierOptions {
  /**
   * The feature versions the caller can give the model; another is refused before any weights
   * load, naming `scoredBy`. Default: every version this build knows.
   */
  featureVersions?: readonly number[];
  /** Who gives the vectors, for the refusal ("vigil detect gives"). */
  scoredBy?: string;
  /** What to do instead, for the refusal. */
  instead?: string;
}

/**
 * Loads any flow model directory as a FlowClassifier: an ensemble (manifest architecture
 * "ensemble") with every member, anything else as the single MLP of v1. The manifest is
 * checked first either way, so a model for other features is refused before any weights load.
 */
export async function loadFlowClassifier(dir: string, options: LoadFlowClassifierOptions = {}): Promise<FlowClassifier> {
  const manifest = await readManifest(dir);
  const wanted = options.featureVersions;
  if (wanted && !wanted.includes(manifest.featureVersion)) {
    const takes = wanted.map((v) => `${v} (${featureLayout(v).name})`).join(', ');
    throw new ModelError(
      `model ${manifest.version} (${dir}) takes feature version ${manifest.featureVersion} (${manifest.featureLayout}) vectors; ` +
        `${options.scoredBy ?? 'this caller gives'} feature version ${takes}${options.instead ? `: ${options.instead}` : ''}`,
    );
  }
  return isEnsembleManifest(manifest as { architecture?: unknown }) ? loadEnsemble(dir) : loadClassifier(dir);
}
