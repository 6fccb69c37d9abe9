import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError, ModelError } from '../errors/vigil-error.js';
import { MODELS_DIR } from '../paths.js';
import { pointerPath, readPointer } from './pointers.js';

/** The file naming the version the engine serves when none is asked for. */
export const CURRENT_POINTER = pointerPath(MODELS_DIR, 'current');

/** The phase-1 model, served by default when phase-2 models are switched off. */
export const PHASE1_VERSION = 'v1';

/**
 * `USE_PHASE2_MODELS=false` pins the default model to v1 whatever CURRENT says: a kill switch
 * for the retrained (phase-2) models that needs no file edit. Unset or `true` means CURRENT.
 */
export const PHASE2_SWITCH = 'USE_PHASE2_MODELS';

export interface ModelResolutionOptions {
  /** The registry directory (default: the package's models/). */
  modelsDir?: string;
  /** Where USE_PHASE2_MODELS is read (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

export function phase2ModelsEnabled(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const raw = env[PHASE2_SWITCH]?.trim().toLowerCase();
  if (raw === undefined || raw === '' || raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${PHASE2_SWITCH} must be true or false (or 1/0), got ${JSON.stringify(env[PHASE2_SWITCH])}`);
}

/** The version served when none is asked for: v1 when phase-2 models are off, else CURRENT's. */
export function defaultModelVersion(options: ModelResolutionOptions = {}): string {
  const modelsDir = options.modelsDir ?? MODELS_DIR;
  if (!phase2ModelsEnabled(options.env ?? process.env)) return PHASE1_VERSION;
  const current = readPointer(modelsDir, 'current');
  if (current === undefined) throw new ModelError(`no model asked for and ${pointerPath(modelsDir, 'current')} does not exist`);
  return current;
}

/**
 * A model directory from what a user typed: a path to a model directory, a version name
 * under the registry directory, or nothing (defaultModelVersion).
 */
export function resolveModelDir(spec?: string, options: ModelResolutionOptions = {}): string {
  const modelsDir = options.modelsDir ?? MODELS_DIR;
  if (!spec) return versionDir(modelsDir, defaultModelVersion(options));
  const candidates = isAbsolute(spec) ? [spec] : [resolve(spec), join(modelsDir, spec)];
  const found = candidates.find(isModelDir);
  if (!found) throw new ModelError(`no model at ${candidates.join(' or ')} (a model directory holds manifest.json)`);
  return found;
}

/** The directory of a registered version; ModelError when it holds no model. */
export function versionDir(modelsDir: string, version: string): string {
  // A version is a directory name, never a path: a pointer must not lead out of the registry.
  if (!/^[\w][\w.-]*$/.test(version)) throw new ModelError(`${JSON.stringify(version)} is not a model version name (letters, digits, _ . -)`);
  const dir = join(modelsDir, version);
  if (!isModelDir(dir)) throw new ModelError(`model ${version}: ${dir} is not a model directory (no manifest.json)`);
  return dir;
}

function isModelDir(dir: string): boolean {
  return existsSync(join(dir, 'manifest.json')) && statSync(dir).isDirectory();
}
