import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { PACKAGE_ROOT } from '../../src/paths.js';

/** The ClickHouse the tests run against (a real server); VIGIL_CLICKHOUSE_URL, as deploy/README.md names it. */
export const CLICKHOUSE_URL = process.env.VIGIL_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/ping', url), { signal: AbortSignal.timeout(2_000) });
    return (await response.text()).trim() === 'Ok.';
  } catch {
    return false; // not answering is the answer here
  }
}

/**
 * Makes sure a server answers: `npm test` starts one (deploy/services.sh), and a test file
 * run on its own starts it with deploy/clickhouse/start.sh, which is idempotent.
 */
export async function ensureClickHouse(): Promise<void> {
  if (await answers(CLICKHOUSE_URL)) return;
  execFileSync('bash', [join(PACKAGE_ROOT, 'deploy/clickhouse/start.sh')], { stdio: 'inherit', timeout: 120_000 });
  if (!(await answers(CLICKHOUSE_URL))) throw new Error(`ClickHouse does not answer on ${CLICKHOUSE_URL} after deploy/clickhouse/start.sh`);
}

/** A database name no other test run uses: `vigil_test_<random>`. */
export function randomDatabase(): string {
  return `vigil_test_${randomBytes(6).toString('hex')}`;
}

/** A client for the tests' own look-ups and clean-up, outside the store under test. */
export function adminClient(): ClickHouseClient {
  return createClient({ url: CLICKHOUSE_URL, keep_alive: { eagerly_destroy_stale_sockets: true }, log: { level: ClickHouseLogLevel.OFF } });
}
