import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ModelError } from '../errors/vigil-error.js';
import { MODELS_DIR } from '../paths.js';

/** The file naming the version the engine serves when none is asked for. */
export const CURRENT_POINTER = join(MODELS_DIR, 'CURRENT');

/**
 * A model directory from what a user typed: a path to a model directory, a version name
 * under models/, or nothing (the version named in models/CURRENT).
 */
export function resolveModelDir(spec?: string): string {
  if (!spec) {
    if (!existsSync(CURRENT_POINTER)) throw new ModelError(`no --model given and ${CURRENT_POINTER} does not exist`);
    spec = readFileSync(CURRENT_POINTER, 'utf8').trim();
  }
  const candidates = isAbsolute(spec) ? [spec] : [resolve(spec), join(MODELS_DIR, spec)];
  const found = candidates.find((c) => existsSync(join(c, 'manifest.json')) && statSync(c).isDirectory());
  if (!found) throw new ModelError(`no model at ${candidates.join(' or ')} (a model directory holds manifest.json)`);
  return found;
}
