import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cancelCrawl, crawlItems, tiktokVideos } from '@pubcrawl/db';
import { crawlJobId } from '@pubcrawl/queue';
import { QUEUE_NAMES } from '@pubcrawl/domain';
import { waitFor } from '@pubcrawl/testing';
import { eq, inArray } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reconcileOnce } from '../src/reconcilers/index';
import { createCrawl, crawlItemIds, crawlState, refetchedPages, upstreamFollowerIds, upstreamVideoIds, waitForCrawlStatus } from './crawl-helpers';
import { startWorkerHarness, type WorkerHarness } from './harness';

interface ReceivedEvent {
  key: string;
  data: { id?: string; status?: string; finishReason?: string | null; error?: { code: string | null } | null };
}

describe('crawl workers', () => {
  let harness: WorkerHarness;
  let receiver: Server;
  const events: ReceivedEvent[] = [];

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        events.push(JSON.parse(body) as ReceivedEvent);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    harness = await startWorkerHarness({
      sandbox: { quotaPerSecond: 0 },
      env: { TIKAPI_REQUESTS_PER_SECOND: '100000', WEBHOOK_URL: `http://127.0.0.1:${port}/hooks`, WEBHOOK_SECRET: 'a-test-secret-of-16+' },
    });
    harness.startWorkers();
  });
  afterEach(() => {
    harness.sandbox.configure({ quotaPerSecond: 0, errorRate: 0, latencyMs: 0 });
  });
  afterAll(async () => {
    await harness?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  const eventFor = (crawlId: string, key: string) =>
    waitFor(() => events.find((event) => event.key === key && event.data.id === crawlId), { timeoutMs: 10_000 });

  it('crawls every follower exactly once, in upstream order, and completes as exhausted', async () => {
    const crawl = await createCrawl(harness.context, { kind: 'followers', target: { username: 'user_95' } });
    const { crawl: done, checkpoint } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed']);
    const expected = await upstreamFollowerIds('user_95');
    expect(done).toMatchObject({ status: 'completed', finishReason: 'exhausted', pages: 4, items: 95, resolvedId: expected.secUid });
    expect(checkpoint).toMatchObject({ pages: 4, items: 95, hasMore: false });
    const { ids, positions } = await crawlItemIds(harness.context, crawl.id);
    expect(ids).toEqual(expected.ids);
    expect(positions).toEqual([...Array(95).keys()]);
    const event = await eventFor(crawl.id, 'crawl.completed');
    expect(event.data).toMatchObject({ status: 'completed', finishReason: 'exhausted' });
  });

  it('resolves a hashtag name to its id on the first page, stores it, and keeps every video once', async () => {
    const crawl = await createCrawl(harness.context, { kind: 'hashtag', target: { name: 'tag_70' } });
    const { crawl: done } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed']);
    const expected = await upstreamVideoIds('tag_70');
    expect(done).toMatchObject({ status: 'completed', finishReason: 'exhausted', pages: 3, items: 70, resolvedId: expected.id });
    expect((await crawlItemIds(harness.context, crawl.id)).ids).toEqual(expected.ids);
    const videos = await harness.context.db.db.select().from(tiktokVideos).where(inArray(tiktokVideos.id, expected.ids));
    expect(videos).toHaveLength(70);
    expect(videos[0]?.postedAt).toBeInstanceOf(Date);
    expect(videos[0]?.authorId).toMatch(/^\d+$/);
  });

  it('stops at maxItems and at maxPages, and records which limit ended the crawl', async () => {
    const byItems = await createCrawl(harness.context, { kind: 'followers', target: { username: 'user_200' }, maxItems: 45 });
    const byPages = await createCrawl(harness.context, { kind: 'hashtag', target: { name: 'tag_200' }, maxPages: 2 });
    const items = await waitForCrawlStatus(harness.context, byItems.id, ['completed', 'failed']);
    const pages = await waitForCrawlStatus(harness.context, byPages.id, ['completed', 'failed']);
    expect(items.crawl).toMatchObject({ status: 'completed', finishReason: 'max_items', items: 45, pages: 2 });
    expect((await crawlItemIds(harness.context, byItems.id)).positions).toEqual([...Array(45).keys()]);
    expect(pages.crawl).toMatchObject({ status: 'completed', finishReason: 'max_pages', items: 60, pages: 2 });
  });

  it('treats TikTok\'s list limit (10404) as the end of the list', async () => {
    const crawl = await createCrawl(harness.context, { kind: 'hashtag', target: { name: 'err_10404' } });
    const { crawl: done } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed']);
    expect(done).toMatchObject({ status: 'completed', finishReason: 'list_limit', items: 0 });
  });

  it('fails with the upstream code and message on a permanent error, and sends crawl.failed', async () => {
    const crawl = await createCrawl(harness.context, { kind: 'followers', target: { username: 'no_such_user' } });
    const { crawl: failed } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed']);
    expect(failed).toMatchObject({ status: 'failed', errorCode: '10202', pages: 0 });
    expect(failed.errorMessage).toContain("User doesn't exist");
    expect(failed.finishedAt).toBeInstanceOf(Date);
    const event = await eventFor(crawl.id, 'crawl.failed');
    expect(event.data.error?.code).toBe('10202');
    const job = await harness.context.queues[QUEUE_NAMES.crawlFollowers].getJob(crawlJobId(crawl, 0));
    // Unrecoverable: one attempt, no retries for an answer that will not change.
    expect(job?.attemptsMade).toBe(1);
    expect(await job?.getState()).toBe('failed');
  });

  it('fails the crawl with the last transient error once the attempts are spent', async () => {
    harness.sandbox.configure({ errorRate: 1 });
    const crawl = await createCrawl(harness.context, { kind: 'hashtag', target: { id: 'will-not-matter' } }, { enqueue: false });
    // One attempt, so the first failure is the last; the catalog's eight would take minutes of backoff.
    await harness.context.queues[QUEUE_NAMES.crawlHashtag].add(QUEUE_NAMES.crawlHashtag, { crawlId: crawl.id, generation: crawl.generation, segment: 0 }, { jobId: crawlJobId(crawl, 0), attempts: 1 });
    const { crawl: failed } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed']);
    expect(failed.status).toBe('failed');
    expect(failed.errorMessage).toContain('500');
  });

  it('waits out 429s through the limiter without spending an attempt', async () => {
    // The sandbox allows 10 req/s while the workers believe in 100000: every page races into 429s.
    harness.sandbox.configure({ quotaPerSecond: 10, burst: 2 });
    const crawl = await createCrawl(harness.context, { kind: 'hashtag', target: { name: 'tag_240' } });
    const { crawl: done } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed'], 60_000);
    expect(done).toMatchObject({ status: 'completed', items: 240 });
    const limited = harness.sandbox.stats().requests.byEndpoint['GET /public/hashtag']?.byStatus['429'] ?? 0;
    expect(limited).toBeGreaterThan(0);
    const job = await harness.context.queues[QUEUE_NAMES.crawlHashtag].getJob(crawlJobId(crawl, 0));
    // BullMQ counts the completing run as an attempt; a 429 must not have added a failed one.
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toBeFalsy();
  });

  it('moves the job to delayed for a long quota wait instead of holding a worker slot', async () => {
    // As after an upstream 429 with a Retry-After of seconds: every process waits for this key.
    await harness.context.limiter.block(harness.context.tikapi.quotaScope, 2_500);
    const crawl = await createCrawl(harness.context, { kind: 'followers', target: { username: 'user_60' } });
    const queue = harness.context.queues[QUEUE_NAMES.crawlFollowers];
    await waitFor(async () => (await queue.getJobState(crawlJobId(crawl, 0))) === 'delayed', { timeoutMs: 2_000, intervalMs: 20 });
    const { crawl: done } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed']);
    expect(done).toMatchObject({ status: 'completed', items: 60 });
    expect((await queue.getJob(crawlJobId(crawl, 0)))?.failedReason).toBeFalsy();
  });

  it('stops a cancelled crawl at its next page', async () => {
    harness.sandbox.configure({ latencyMs: 30 });
    const crawl = await createCrawl(harness.context, { kind: 'followers', target: { username: 'user_3000' } });
    await waitFor(async () => (await crawlState(harness.context, crawl.id)).checkpoint.pages >= 2);
    expect(await cancelCrawl(harness.context.db.db, crawl.id)).not.toBeNull();
    const job = await harness.context.queues[QUEUE_NAMES.crawlFollowers].getJob(crawlJobId(crawl, 0));
    await waitFor(async () => (await job?.isCompleted()) === true, { timeoutMs: 10_000 });
    const { crawl: cancelled } = await crawlState(harness.context, crawl.id);
    const stored = await harness.context.db.db.select().from(crawlItems).where(eq(crawlItems.crawlId, crawl.id));
    expect(cancelled.status).toBe('cancelled');
    expect(stored).toHaveLength(cancelled.items);
    expect(cancelled.pages).toBeLessThan(100);
  });

  it('the reconciler enqueues an active crawl whose job is missing', async () => {
    const crawl = await createCrawl(harness.context, { kind: 'followers', target: { username: 'user_40' } }, { enqueue: false });
    const results = await reconcileOnce(harness.context);
    expect(results.crawls).toBeGreaterThanOrEqual(1);
    const { crawl: done } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed']);
    expect(done).toMatchObject({ status: 'completed', items: 40 });
  });
});

describe('crawl segments', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await startWorkerHarness({
      sandbox: { quotaPerSecond: 0, latencyMs: 10 },
      env: { TIKAPI_REQUESTS_PER_SECOND: '100000', CRAWL_SEGMENT_PAGES: '3' },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('yields every CRAWL_SEGMENT_PAGES pages, re-enqueuing itself from the checkpoint', async () => {
    const workers = harness.startWorkers();
    const crawl = await createCrawl(harness.context, { kind: 'followers', target: { username: 'user_300' } });
    await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed']);
    const queue = harness.context.queues[QUEUE_NAMES.crawlFollowers];
    const completed = await queue.getJobs(['completed']);
    const ids = completed.map((job) => job.id).filter((id) => id?.includes(crawl.id)).sort();
    // 10 pages in segments of 3, then one segment that only records completion.
    expect(ids).toEqual([0, 3, 6, 9].map((pages) => crawlJobId(crawl, pages)).sort());
    await workers.stop();
  });

  it('on shutdown finishes the page in flight, hands over, and the next worker resumes without refetching', async () => {
    const first = harness.startWorkers();
    const crawl = await createCrawl(harness.context, { kind: 'followers', target: { username: 'user_900' } });
    await waitFor(async () => (await crawlState(harness.context, crawl.id)).checkpoint.pages >= 4);
    await first.stop();
    const parked = await crawlState(harness.context, crawl.id);
    expect(parked.crawl.status).toBe('running');
    expect(parked.checkpoint.segmentPages).toBe(parked.checkpoint.pages);
    const next = await harness.context.queues[QUEUE_NAMES.crawlFollowers].getJob(crawlJobId(crawl, parked.checkpoint.pages));
    // Waiting when the stop came mid-segment; delayed when it came before the segment's first page.
    expect(['waiting', 'delayed']).toContain(await next?.getState());

    const second = harness.startWorkers();
    const { crawl: done } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed']);
    await second.stop();
    const expected = await upstreamFollowerIds('user_900');
    expect(done).toMatchObject({ status: 'completed', items: 900 });
    expect((await crawlItemIds(harness.context, crawl.id)).ids).toEqual(expected.ids);
    expect(refetchedPages(harness.sandbox.stats().pages, expected.secUid).extraFetches).toBe(0);
  });

  it('a job told to stop before its first page hands itself back, so the crawl keeps a job', async () => {
    const stopping = harness.startWorkers();
    // Shutting down from the start: the job is picked up, then must yield with nothing committed.
    stopping.context.shutdown.abort();
    const crawl = await createCrawl(harness.context, { kind: 'followers', target: { username: 'user_90' } });
    const queue = harness.context.queues[QUEUE_NAMES.crawlFollowers];
    await waitFor(async () => (await queue.getJobState(crawlJobId(crawl, 0))) === 'delayed', { timeoutMs: 10_000 });
    await stopping.stop();
    expect((await crawlState(harness.context, crawl.id)).checkpoint.pages).toBe(0);

    const workers = harness.startWorkers();
    const { crawl: done } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed']);
    expect(done).toMatchObject({ status: 'completed', items: 90 });
    await workers.stop();
  });

  it('retries transient errors from the checkpoint without duplicating or refetching a page', async () => {
    // Short segments (3 pages) keep the backoff short: BullMQ counts attempts per job, i.e. per segment.
    harness.sandbox.configure({ errorRate: 0.1, latencyMs: 0 });
    const workers = harness.startWorkers();
    const crawl = await createCrawl(harness.context, { kind: 'followers', target: { username: 'user_450' } });
    const { crawl: done } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed'], 90_000);
    const expected = await upstreamFollowerIds('user_450');
    expect(done).toMatchObject({ status: 'completed', items: 450 });
    expect((await crawlItemIds(harness.context, crawl.id)).ids).toEqual(expected.ids);
    expect(refetchedPages(harness.sandbox.stats().pages, expected.secUid).extraFetches).toBe(0);
    harness.sandbox.configure({ errorRate: 0, latencyMs: 10 });
    await workers.stop();
  });
});
