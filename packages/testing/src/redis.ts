import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export interface TestRedis {
  url: string;
  /** `{test-<uuid>}`: braces keep every key of one test in one Redis Cluster slot, as BullMQ needs. */
  prefix: string;
  client: Redis;
  /** Deletes every key under the prefix and closes the client. */
  cleanup(): Promise<void>;
}

export async function deleteKeysWithPrefix(client: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

export async function createTestRedis(url: string): Promise<TestRedis> {
  const prefix = `{test-${randomUUID()}}`;
  // BullMQ workers need maxRetriesPerRequest null on their own connections; a plain client does not.
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  return {
    url,
    prefix,
    client,
    async cleanup() {
      try {
        await deleteKeysWithPrefix(client, prefix);
      } finally {
        client.disconnect();
      }
    },
  };
}
