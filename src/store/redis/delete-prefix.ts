import type { Redis } from 'ioredis';

/**
 * Deletes every key under `prefix` (SCAN, never KEYS, so a large keyspace is not blocked),
 * returning how many went: how benches and tests clean up the keys of their own prefix.
 */
export async function deleteKeysWithPrefix(client: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
