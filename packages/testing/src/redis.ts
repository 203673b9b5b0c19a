import { randomUUID } from 'node:crypto';
import { redisTopologyEnv, type RedisTopology } from '@pubcrawl/config';
import { Cluster, Redis } from 'ioredis';

/** A test's own key prefix on any Redis topology, with a plain client for inspecting it. */
export interface TopologyTestRedis {
  topology: RedisTopology;
  /** The variables that select `topology` (REDIS_URL, or REDIS_SENTINELS…, or REDIS_CLUSTER_NODES…). */
  env: Record<string, string>;
  /** `{test-<uuid>}`: braces keep every key of one test in one Redis Cluster slot, as BullMQ needs. */
  prefix: string;
  client: Redis | Cluster;
  /** Deletes every key under the prefix and closes the client. */
  cleanup(): Promise<void>;
}

/** The shared standalone server's fixture, as most tests use it. */
export interface TestRedis extends TopologyTestRedis {
  url: string;
  topology: Extract<RedisTopology, { kind: 'standalone' }>;
  client: Redis;
}

/** Under Cluster the prefix's keys sit on one master, but which one depends on the slot: scan all. */
export async function deleteKeysWithPrefix(client: Redis | Cluster, prefix: string): Promise<number> {
  const servers = client instanceof Cluster ? client.nodes('master') : [client];
  let deleted = 0;
  for (const server of servers) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      // One key at a time under Cluster is not needed: every key here shares the prefix's hash tag.
      if (keys.length > 0) deleted += await server.unlink(...keys);
    } while (cursor !== '0');
  }
  return deleted;
}

/**
 * A plain client (not a BullMQ connection) for any topology. Under Sentinel it follows a failover
 * like the app's connections do, so a test can still clean up after it has moved the master.
 */
export function topologyClient(topology: RedisTopology): Redis | Cluster {
  switch (topology.kind) {
    case 'standalone':
      return new Redis(topology.url, { lazyConnect: true });
    case 'sentinel':
      return new Redis({
        lazyConnect: true,
        sentinels: topology.sentinels,
        name: topology.name,
        failoverDetector: true,
        reconnectOnError: (error) => (/READONLY/.test(error.message) ? 2 : false),
        ...(topology.sentinelPassword === undefined ? {} : { sentinelPassword: topology.sentinelPassword }),
        ...(topology.password === undefined ? {} : { password: topology.password }),
      });
    case 'cluster':
      return new Cluster(topology.nodes, { lazyConnect: true, ...(topology.password === undefined ? {} : { redisOptions: { password: topology.password } }) });
  }
}

export async function createTopologyTestRedis(topology: RedisTopology): Promise<TopologyTestRedis> {
  const prefix = `{test-${randomUUID()}}`;
  const client = topologyClient(topology);
  await client.connect();
  return {
    topology,
    env: redisTopologyEnv(topology),
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

export async function createTestRedis(url: string): Promise<TestRedis> {
  const prefix = `{test-${randomUUID()}}`;
  // BullMQ workers need maxRetriesPerRequest null on their own connections; a plain client does not.
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  return {
    url,
    topology: { kind: 'standalone', url },
    env: { REDIS_URL: url },
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
