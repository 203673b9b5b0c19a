import { testRedis, type TestRedis } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeQueues, createQueues, enqueueCrawl, enqueuePublish, type Queues } from '../src/index';

describe('enqueue helpers', () => {
  let redis: TestRedis;
  let queues: Queues;
  beforeAll(async () => {
    redis = await testRedis();
    queues = createQueues({ connection: redis.client, prefix: redis.prefix });
  });
  afterAll(async () => {
    await closeQueues(queues);
    await redis.cleanup();
  });

  it('enqueues a post once however often it is asked, delayed until its time', async () => {
    const post = { id: '11111111-1111-4111-8111-111111111111', generation: 0, scheduledAt: new Date(Date.now() + 60_000) };
    await Promise.all([enqueuePublish(queues, post), enqueuePublish(queues, post), enqueuePublish(queues, post)]);
    expect(await queues.publish.getJobCounts('delayed', 'waiting')).toMatchObject({ delayed: 1, waiting: 0 });
    const job = await queues.publish.getJob(`publish-${post.id}-0`);
    expect(job?.opts.attempts).toBe(5);
    expect(job?.opts.backoff).toMatchObject({ type: 'exponential', jitter: 1 });
  });

  it('names a crawl segment by its checkpoint, and routes it by kind', async () => {
    const crawl = { id: '22222222-2222-4222-8222-222222222222', kind: 'hashtag' as const, generation: 2 };
    await enqueueCrawl(queues, crawl, 50);
    await enqueueCrawl(queues, crawl, 50);
    expect(await queues['crawl-hashtag'].getJobCounts('waiting')).toMatchObject({ waiting: 1 });
    expect(await queues['crawl-hashtag'].getJob(`crawl-${crawl.id}-g2-p50`)).toBeDefined();
    expect(await queues['crawl-followers'].getJobCounts('waiting')).toMatchObject({ waiting: 0 });
  });

  it('keeps every key under the prefix, so a test or a deployment owns its keys', async () => {
    const keys = await redis.client.keys('*');
    const ours = keys.filter((key) => key.includes('publish-11111111'));
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.every((key) => key.startsWith(redis.prefix))).toBe(true);
  });
});
