import { formatPreflightFailure } from '@pubcrawl/config';
import { probeRedis } from '@pubcrawl/queue';
import { redisCli, startRedisSentinel, waitFor, type RunningRedisSentinel } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBurstAndCrawl, crawlProgress, expectExactlyOnce, postStatusCounts, startTopologyWorld, waitForBurstAndCrawl, type TopologyWorld } from './redis-topology-scenario';

describe('on Redis Sentinel (a master, a replica, three sentinels)', () => {
  let sentinel: RunningRedisSentinel | undefined;
  let world: TopologyWorld | undefined;
  beforeAll(async () => {
    sentinel = await startRedisSentinel();
    world = await startTopologyWorld(sentinel.topology);
  }, 60_000);
  // Every step of world.close() is bounded (it rejects naming a step that overran), and the
  // servers are stopped whatever it says.
  afterAll(async () => {
    try {
      await world?.close();
    } finally {
      await sentinel?.stop();
    }
  }, 60_000);

  it('passes the preflight through the sentinels, and names REDIS_SENTINELS in one line for an unknown master', async () => {
    if (sentinel === undefined) throw new Error('no sentinel');
    expect(await probeRedis(sentinel.topology)).toBeNull();
    const failure = await probeRedis({ ...sentinel.topology, name: 'nosuchmaster' }, 1_000);
    expect(failure).toMatchObject({ variable: 'REDIS_SENTINELS', problem: expect.stringContaining('no master named "nosuchmaster"') });
    expect(formatPreflightFailure(failure ?? { variable: '', service: '', address: '', problem: '', hint: '' })).toMatch(/^pubcrawl: cannot use Redis at 127\.0\.0\.1:\d+ \(REDIS_SENTINELS\): [^\n]+$/);
  });

  it('loses and doubles nothing across SENTINEL FAILOVER mid-run: every post published once, the crawl of 6,000 complete without duplicates', { timeout: 90_000 }, async () => {
    if (world === undefined || sentinel === undefined) throw new Error('no world');
    const { api } = world;
    const started = Date.now();
    const burst = await createBurstAndCrawl(api);

    // Mid-run: the crawl is under way and the burst has begun publishing but not finished.
    await waitFor(
      async () => {
        const crawl = await crawlProgress(api, burst.crawlId);
        const published = (await postStatusCounts(api)).published ?? 0;
        return crawl.status === 'running' && crawl.pages >= 10 && published >= 10;
      },
      { timeoutMs: 30_000, intervalMs: 20, describe: async () => ({ crawl: await crawlProgress(api, burst.crawlId), posts: await postStatusCounts(api) }) },
    );
    const before = { crawl: await crawlProgress(api, burst.crawlId), posts: await postStatusCounts(api) };
    const { from, to } = await sentinel.failover();
    console.log(`sentinel: failover ${from} -> ${to} at crawl ${JSON.stringify(before.crawl)}, posts ${JSON.stringify(before.posts)}`);
    expect(from).not.toBe(to);
    expect(await redisCli(to, 'role')).toMatch(/^master/);

    await waitForBurstAndCrawl(api, burst, 75_000);
    console.log(`sentinel: ${burst.posts.size} posts and the crawl done in ${Date.now() - started} ms`);
    await expectExactlyOnce(world, burst);
    // The processes followed the master: their queues write to the promoted server.
    expect(await api.redis.call('ROLE')).toEqual(expect.arrayContaining(['master']));
  });
});
