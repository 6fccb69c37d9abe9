import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '../../src/store/redis/delete-prefix.js';

/** The Redis the tests run against (a real server: deploy/redis/start.sh); VIGIL_REDIS_URL as deploy/README.md sets it. */
export const REDIS_URL = process.env.VIGIL_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A client that fails fast instead of queueing commands while the server is away. */
export function testClient(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 1, commandTimeout: 5_000 });
}

/** A key prefix no other test run uses: `vigil-test:<random>:`. */
export function randomPrefix(): string {
  return `vigil-test:${randomBytes(6).toString('hex')}:`;
}

/** Deletes every key under `prefix`. */
export async function deleteKeys(client: Redis, prefix: string): Promise<void> {
  await deleteKeysWithPrefix(client, prefix);
}
