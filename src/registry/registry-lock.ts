import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RegistryError } from './registry-error.js';

export const LOCK_FILE = '.registry.lock';

/**
 * Runs `change` while holding the registry's lock file (created exclusively), so two
 * promotions, or a promotion and a rollback, cannot interleave their pointer writes. The
 * change is synchronous: slow checks (loading a model) happen before the lock is taken.
 */
export function withRegistryLock<T>(modelsDir: string, change: () => T): T {
  const path = join(modelsDir, LOCK_FILE);
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new RegistryError(`${path} exists: another registry change is running (if none is, a crash left it: delete it)`, { retriable: true, cause: err });
    }
    throw new RegistryError(`cannot create the registry lock ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    writeSync(fd, `${process.pid}\n`);
    return change();
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
}
