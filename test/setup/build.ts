import { execFileSync } from 'node:child_process';
import { PACKAGE_ROOT } from '../../src/paths.js';

/**
 * CLI tests run the real `bin/vigil.js`, which runs the compiled dist/: build it once before
 * the suite so they never test stale output. VIGIL_TEST_SKIP_BUILD=1 skips it while iterating
 * on tests that import the sources only (never in CI).
 */
export default function setup(): void {
  if (process.env.VIGIL_TEST_SKIP_BUILD === '1') return;
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: PACKAGE_ROOT, stdio: 'inherit' });
}
