import { loadClassifier, type FlowClassifier } from '../inference/classifier.js';
import { readManifest } from '../inference/model-store.js';
import { isEnsembleManifest, loadEnsemble } from './ensemble-store.js';

/**
 * Loads any flow model directory as a FlowClassifier: an ensemble (manifest architecture
 * "ensemble") with every member, anything else as the single MLP of v1. The manifest is
 * checked first either way, so a model for other features is refused before any weights load.
 */
export async function loadFlowClassifier(dir: string): Promise<FlowClassifier> {
  const manifest = await readManifest(dir);
  return isEnsembleManifest(manifest as { architecture?: unknown }) ? loadEnsemble(dir) : loadClassifier(dir);
}
