import { ConfigError } from '../errors/vigil-error.js';
import { FLOW_FEATURE_NAMES } from './flow-features.js';

/**
 * A versioned vector layout: which feature sits at which index. A model records the
 * version it was trained on and is only ever given vectors of that version, so adding
 * features means adding a version, never editing one.
 */
export interface FeatureLayout {
  version: number;
  name: string;
  dims: number;
  /** Feature names in vector order. */
  names: readonly string[];
}

const LAYOUTS: readonly FeatureLayout[] = [
  { version: 1, name: 'flow-v1', dims: FLOW_FEATURE_NAMES.length, names: FLOW_FEATURE_NAMES },
];

export const LATEST_FEATURE_VERSION = Math.max(...LAYOUTS.map((l) => l.version));

export function featureLayout(version: number): FeatureLayout {
  const layout = LAYOUTS.find((l) => l.version === version);
  if (!layout) {
    throw new ConfigError(`featureLayout: unknown feature version ${version}; known: ${LAYOUTS.map((l) => l.version).join(', ')}`);
  }
  return layout;
}

export function featureLayouts(): readonly FeatureLayout[] {
  return LAYOUTS;
}
