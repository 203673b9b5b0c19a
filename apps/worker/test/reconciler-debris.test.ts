import { randomUUID } from 'node:crypto';
import { recordWebhookEvent } from '@pubcrawl/db';
import { crawlJobId, jobIds } from '@pubcrawl/queue';
import { QUEUE_NAMES } from '@pubcrawl/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcileCrawls } from '../src/reconcilers/crawls';
import { reconcileWebhooks } from '../src/reconcilers/webhooks';
import { createCrawl } from './crawl-helpers';
import { startWorkerHarness, type WorkerHarness } from './harness';

// Debris is written by hand: no public API makes it, a flush does. The key layout and BullMQ 6's
// 'unknown' answer for it are pinned here and in publish-reconciler.test.ts.
describe('the crawl and webhook reconcilers (no workers running)', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await startWorkerHarness();
  });
  afterAll(async () => {
    await harness.close();
  });

  it('replaces an orphan hash under a crawl segment job, which would make BullMQ ignore the add', async () => {
    const crawl = await createCrawl(harness.context, { kind: 'followers', target: { username: 'user_40' } }, { enqueue: false });
    const queue = harness.context.queues[QUEUE_NAMES.crawlFollowers];
    const jobId = crawlJobId(crawl, 0);
    await harness.context.redis.hset(queue.toKey(jobId), 'timestamp', String(Date.now()), 'data', '{}', 'name', queue.name, 'opts', '{}');
    expect(await queue.getJobState(jobId)).toBe('unknown');
    expect(await reconcileCrawls(harness.context)).toBeGreaterThanOrEqual(1);
    expect(await queue.getJobState(jobId)).toBe('waiting');
    expect((await queue.getJob(jobId))?.data).toMatchObject({ crawlId: crawl.id, segment: 0 });
  });

  it('replaces a ghost hash under a pending webhook delivery, and leaves a waiting one alone', async () => {
    const deliveryId = await recordWebhookEvent(harness.context.db.db, { key: 'post.published', data: {}, dedupeKey: randomUUID(), url: 'http://127.0.0.1:9/hook' });
    if (deliveryId === null) throw new Error('no delivery');
    const queue = harness.context.queues[QUEUE_NAMES.webhooks];
    const jobId = jobIds.webhook(deliveryId);
    await harness.context.redis.hset(queue.toKey(jobId), 'atm', '1', 'finishedOn', String(Date.now()));
    expect(await queue.getJobState(jobId)).toBe('unknown');
    expect(await reconcileWebhooks(harness.context)).toBe(1);
    expect(await queue.getJobState(jobId)).toBe('waiting');
    expect((await queue.getJob(jobId))?.data).toEqual({ deliveryId });
    expect(await reconcileWebhooks(harness.context)).toBe(0);
  });
});
