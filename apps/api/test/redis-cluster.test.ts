import { formatPreflightFailure } from '@pubcrawl/config';
import { probeRedis } from '@pubcrawl/queue';
import { startRedisCluster, unusedPort, type RunningRedisCluster } from '@pubcrawl/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBurstAndCrawl, expectExactlyOnce, startTopologyWorld, waitForBurstAndCrawl, type TopologyWorld } from './redis-topology-scenario';

describe('on a three-master Redis Cluster', () => {
  let cluster: RunningRedisCluster | undefined;
  let world: TopologyWorld | undefined;
  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    world = await startTopologyWorld(cluster.topology);
  }, 60_000);
  // Every step of world.close() is bounded (it rejects naming a step that overran), and the
  // servers are stopped whatever it says.
  afterAll(async () => {
    try {
      await world?.close();
    } finally {
      await cluster?.stop();
    }
  }, 60_000);

  it('passes the preflight, and names REDIS_CLUSTER_NODES in one line when no node answers', async () => {
    if (cluster === undefined) throw new Error('no cluster');
    expect(await probeRedis(cluster.topology)).toBeNull();
    const failure = await probeRedis({ kind: 'cluster', nodes: [{ host: '127.0.0.1', port: await unusedPort() }] }, 1_000);
    expect(failure).toMatchObject({ variable: 'REDIS_CLUSTER_NODES', problem: expect.stringContaining('no cluster node is reachable') });
    expect(formatPreflightFailure(failure ?? { variable: '', service: '', address: '', problem: '', hint: '' })).not.toContain('\n');
  });

  it('publishes a burst of 250 posts exactly once and crawls 6,000 followers once each, every key in the prefix slot', { timeout: 90_000 }, async () => {
    if (world === undefined) throw new Error('no world');
    const started = Date.now();
    const burst = await createBurstAndCrawl(world.api);
    await waitForBurstAndCrawl(world.api, burst, 75_000);
    console.log(`cluster: ${burst.posts.size} posts and the crawl done in ${Date.now() - started} ms`);
    await world.workers.context.metrics.flush();
    await expectExactlyOnce(world, burst);

    // Queues, quota, metrics and the API's rate limits: every key the run wrote shares the prefix's
    // hash tag, so every multi-key script and pipeline stayed in one slot.
    const client = world.api.testRedis.client;
    if (!(client instanceof Cluster)) throw new Error('expected a Cluster client');
    const prefix = world.api.env.QUEUE_PREFIX;
    const keys: string[] = [];
    for (const node of client.nodes('master')) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        keys.push(...found);
      } while (cursor !== '0');
    }
    for (const part of [':publish:', ':crawl-followers:', ':metrics:', ':rate-limit:']) {
      expect(keys.some((key) => key.includes(part)), part).toBe(true);
    }
    const slot = await client.cluster('KEYSLOT', prefix);
    const slots = new Set(await Promise.all([...keys, `${prefix}:quota:apiKey:x:block`].map((key) => client.cluster('KEYSLOT', key))));
    expect([...slots]).toEqual([slot]);
  });
});
