import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root, found by walking up from this file. The same code runs from `src/`
 * (vitest) and from `dist/src/` (the built CLI), so a fixed relative path would be wrong
 * in one of them.
 */
function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`vigil: no package root above ${start}`);
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));
export const SCHEMAS_DIR = join(PACKAGE_ROOT, 'schemas');
export const MODELS_DIR = join(PACKAGE_ROOT, 'models');
