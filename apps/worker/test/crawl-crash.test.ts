import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { waitFor } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCrawl, crawlItemIds, crawlState, refetchedPages, upstreamFollowerIds, waitForCrawlStatus } from './crawl-helpers';
import { startWorkerHarness, type WorkerHarness } from './harness';

const FOLLOWERS = 50_000;
const PAGES = Math.ceil(FOLLOWERS / 30);
const KILLS = 5;

/** `count` distinct page counts spread over the crawl, at least `gap` apart, in ascending order. */
function randomKillPoints(count: number, from: number, to: number, gap: number): number[] {
  const slot = Math.floor((to - from) / count);
  return Array.from({ length: count }, (_, index) => from + index * slot + Math.floor(Math.random() * (slot - gap)));
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe('a crawl whose worker is killed', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await startWorkerHarness({
      // Unlimited upstream quota so the crawl is fast; this test is about recovery, not pacing.
      sandbox: { quotaPerSecond: 0 },
      env: {
        TIKAPI_REQUESTS_PER_SECOND: '100000',
        // A killed worker's job is taken over once its lock expires and a live worker's stalled-job
        // check runs: about lockDuration + stalledInterval. Production defaults are 15 s + 5 s.
        JOB_LOCK_DURATION_MS: '2000',
        STALLED_INTERVAL_MS: '500',
        RECONCILE_INTERVAL_MS: '1000',
      },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it(`ends with exactly ${FOLLOWERS} distinct items in upstream order after ${KILLS} SIGKILLs, refetching at most one page per kill`, async () => {
    const crawl = await createCrawl(harness.context, { kind: 'followers', target: { username: `user_${FOLLOWERS}` } });
    const killPoints = randomKillPoints(KILLS, 60, PAGES - 100, 20);
    const killedAt: number[] = [];
    let child = harness.spawnWorker();
    for (const point of killPoints) {
      await waitFor(async () => (await crawlState(harness.context, crawl.id)).checkpoint.pages >= point, {
        timeoutMs: 60_000,
        intervalMs: 10,
        describe: () => crawlState(harness.context, crawl.id),
      });
      // Land anywhere inside a page: mid-request, mid-transaction, between pages or segments.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 40)));
      await kill(child);
      killedAt.push((await crawlState(harness.context, crawl.id)).checkpoint.pages);
      child = harness.spawnWorker();
    }

    const { crawl: done } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed', 'cancelled'], 150_000);
    await kill(child);
    const pagesServed = harness.sandbox.stats().pages;
    const expected = await upstreamFollowerIds(`user_${FOLLOWERS}`);
    const { ids, positions } = await crawlItemIds(harness.context, crawl.id);
    const refetched = refetchedPages(pagesServed, expected.secUid);
    console.info(`SIGKILL at pages ${killedAt.join(', ')} of ${PAGES}; pages fetched twice: ${refetched.pages} (extra fetches ${refetched.extraFetches})`);

    expect(done).toMatchObject({ status: 'completed', finishReason: 'exhausted', items: FOLLOWERS, pages: PAGES });
    expect(ids).toHaveLength(FOLLOWERS);
    expect(new Set(ids).size).toBe(FOLLOWERS);
    expect(ids).toEqual(expected.ids);
    expect(positions[positions.length - 1]).toBe(FOLLOWERS - 1);
    expect(refetched.extraFetches).toBeLessThanOrEqual(KILLS);
  });
});
