import { crawlJobId } from '@pubcrawl/queue';
import { QUEUE_NAMES } from '@pubcrawl/domain';
import { deleteKeysWithPrefix, waitFor } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReconcilers } from '../src/reconcilers/index';
import { createCrawl, crawlItemIds, crawlState, refetchedPages, upstreamFollowerIds, waitForCrawlStatus } from './crawl-helpers';
import { startWorkerHarness, type WorkerHarness } from './harness';

describe('a crawl whose Redis is flushed', () => {
  let harness: WorkerHarness;
  let reconcilers: { close(): Promise<void> };
  beforeAll(async () => {
    harness = await startWorkerHarness({
      sandbox: { quotaPerSecond: 0, latencyMs: 3 },
      // The reconciler runs every second here (60 s by default).
      env: { TIKAPI_REQUESTS_PER_SECOND: '100000', RECONCILE_INTERVAL_MS: '1000', CRAWL_SEGMENT_PAGES: '20' },
    });
    reconcilers = startReconcilers(harness.context);
  });
  afterAll(async () => {
    await reconcilers?.close();
    await harness?.close();
  });

  // Never FLUSHALL: the Redis is shared; everything of this test lives under its own prefix.
  const flush = () => deleteKeysWithPrefix(harness.redis.client, harness.redis.prefix);

  it('completes from its checkpoint when every key is deleted while it runs', async () => {
    const workers = harness.startWorkers();
    const crawl = await createCrawl(harness.context, { kind: 'followers', target: { username: 'user_9000' } });
    await waitFor(async () => (await crawlState(harness.context, crawl.id)).checkpoint.pages >= 60, { timeoutMs: 30_000, intervalMs: 10 });
    const deleted = await flush();
    expect(deleted).toBeGreaterThan(0);

    const { crawl: done } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed'], 60_000);
    const expected = await upstreamFollowerIds('user_9000');
    expect(done).toMatchObject({ status: 'completed', items: 9000, pages: 300 });
    expect((await crawlItemIds(harness.context, crawl.id)).ids).toEqual(expected.ids);
    // The job that lost its keys may race the reconciler's replacement for one page; no more.
    expect(refetchedPages(harness.sandbox.stats().pages, expected.secUid).extraFetches).toBeLessThanOrEqual(1);
    await workers.stop();
  });

  it('is re-enqueued by the reconciler when the flush takes its only (waiting) job', async () => {
    harness.sandbox.reset();
    harness.sandbox.configure({ quotaPerSecond: 0, latencyMs: 3 });
    const first = harness.startWorkers();
    const crawl = await createCrawl(harness.context, { kind: 'followers', target: { username: 'user_3000' } });
    await waitFor(async () => (await crawlState(harness.context, crawl.id)).checkpoint.pages >= 10, { timeoutMs: 30_000, intervalMs: 10 });
    // A graceful stop hands the crawl to its next segment's job, which now waits in Redis; then Redis loses it.
    await first.stop();
    const { checkpoint } = await crawlState(harness.context, crawl.id);
    await flush();
    expect(await harness.context.queues[QUEUE_NAMES.crawlFollowers].getJob(crawlJobId(crawl, checkpoint.segmentPages))).toBeUndefined();

    const second = harness.startWorkers();
    const { crawl: done } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed'], 60_000);
    const expected = await upstreamFollowerIds('user_3000');
    expect(done).toMatchObject({ status: 'completed', items: 3000 });
    expect((await crawlItemIds(harness.context, crawl.id)).ids).toEqual(expected.ids);
    expect(refetchedPages(harness.sandbox.stats().pages, expected.secUid).extraFetches).toBe(0);
    await second.stop();
  });
});
