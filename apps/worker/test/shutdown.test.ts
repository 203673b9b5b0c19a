import { spawn, type ChildProcess } from 'node:child_process';
import { crawlJobId } from '@pubcrawl/queue';
import { QUEUE_NAMES } from '@pubcrawl/domain';
import { captureOutput, signalAndWait, waitFor, type ChildExit } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCrawl, crawlItemIds, crawlState, refetchedPages, upstreamFollowerIds, waitForCrawlStatus } from './crawl-helpers';
import { startWorkerHarness, workerMain, type WorkerHarness } from './harness';

/** The bound: a SIGTERMed process is gone within SHUTDOWN_GRACE_MS plus this. */
const EXIT_SLACK_MS = 5_000;
const LOCK_MS = 2_000;
const PAGE_SIZE = 30;
/** Nothing is active in a worker stopped as it starts; the default grace is only an upper bound. */
const GRACE_FOR_EARLY_STOP_MS = 20_000;

interface Exit extends ChildExit {
  /** What the worker printed, so a failed assertion can show why it exited the way it did. */
  stderr: string;
}

/**
 * SIGTERMs the child and waits for it to exit, but never longer than `limitMs` plus a margin: a
 * worker that hangs on shutdown is SIGKILLed so the test reports the overrun instead of timing out.
 */
async function sigterm(child: ChildProcess, output: () => string, limitMs: number): Promise<Exit> {
  return { ...(await signalAndWait(child, 'SIGTERM', limitMs + 10_000)), stderr: output() };
}

async function pagesCommitted(harness: WorkerHarness, crawlId: string): Promise<number> {
  return (await crawlState(harness.context, crawlId)).checkpoint.pages;
}

/** Distinct pages of one list the sandbox answered with 200, however many times each. */
function pagesServed(harness: WorkerHarness, secUid: string): number {
  return Object.keys(harness.sandbox.stats().pages).filter((key) => key.includes(secUid)).length;
}

describe('a worker that receives SIGTERM', () => {
  let harness: WorkerHarness;

  beforeAll(async () => {
    harness = await startWorkerHarness({
      // Unlimited quota and a small per-page latency: a crawl of a few thousand items takes seconds,
      // long enough to land a signal in the middle of it.
      sandbox: { quotaPerSecond: 0, latencyMs: 15 },
      env: {
        TIKAPI_REQUESTS_PER_SECOND: '100000',
        JOB_LOCK_DURATION_MS: String(LOCK_MS),
        STALLED_INTERVAL_MS: '500',
      },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('finishes the page in flight, exits 0 in time, leaves no job active, and a restart completes the crawl without fetching any page twice', async () => {
    const graceMs = 5_000;
    const username = 'user_5000';
    const crawl = await createCrawl(harness.context, { kind: 'followers', target: { username } });
    const queue = harness.context.queues[QUEUE_NAMES.crawlFollowers];

    const child = harness.spawnWorker({ SHUTDOWN_GRACE_MS: String(graceMs) });
    const stderr = captureOutput(child);
    await waitFor(async () => (await pagesCommitted(harness, crawl.id)) >= 40, { timeoutMs: 30_000, intervalMs: 10 });
    const exit = await sigterm(child, stderr, graceMs + EXIT_SLACK_MS);

    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    expect(exit.afterMs).toBeLessThan(graceMs + EXIT_SLACK_MS);

    // The segment handed over at a page boundary: its job completed and the next one waits.
    const { crawl: stopped, checkpoint } = await crawlState(harness.context, crawl.id);
    expect(stopped.status).toBe('running');
    expect(checkpoint.pages).toBeLessThan(Math.ceil(5_000 / PAGE_SIZE));
    const next = crawlJobId(stopped, checkpoint.segmentPages);
    expect(await queue.getJobState(next)).toBe('waiting');
    expect(await queue.getJobCounts('active')).toEqual({ active: 0 });

    // Every page the upstream served made it into Postgres: nothing was fetched and dropped.
    const { secUid, ids: expected } = await upstreamFollowerIds(username);
    expect(pagesServed(harness, secUid)).toBe(checkpoint.pages);

    // After the old lock would have expired, still nothing is active or stalled.
    await new Promise((resolve) => setTimeout(resolve, LOCK_MS + 500));
    expect(await queue.getJobCounts('active')).toEqual({ active: 0 });

    const restarted = harness.spawnWorker({ SHUTDOWN_GRACE_MS: String(graceMs) });
    const restartedStderr = captureOutput(restarted);
    const { crawl: done } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed'], 60_000);
    const { ids } = await crawlItemIds(harness.context, crawl.id);
    const restartedExit = await sigterm(restarted, restartedStderr, graceMs + EXIT_SLACK_MS);

    expect(done).toMatchObject({ status: 'completed', items: 5_000 });
    expect(new Set(ids).size).toBe(5_000);
    expect(ids).toEqual(expected);
    expect(refetchedPages(harness.sandbox.stats().pages, secUid)).toEqual({ pages: 0, extraFetches: 0 });
    expect(restartedExit, restartedExit.stderr).toMatchObject({ code: 0, signal: null });
  });

  it('hands a job that outlives SHUTDOWN_GRACE_MS back to the queue, exits 0 in time, and a restart loses no page', async () => {
    const graceMs = 1_000;
    const username = 'user_3000';
    const crawl = await createCrawl(harness.context, { kind: 'followers', target: { username } });
    const queue = harness.context.queues[QUEUE_NAMES.crawlFollowers];

    const child = harness.spawnWorker({ SHUTDOWN_GRACE_MS: String(graceMs) });
    const stderr = captureOutput(child);
    await waitFor(async () => (await pagesCommitted(harness, crawl.id)) >= 20, { timeoutMs: 30_000, intervalMs: 10 });
    // The next page now takes far longer than the grace period, so shutdown has to cut it short.
    harness.sandbox.configure({ latencyMs: 10_000 });
    const stuckAt = await pagesCommitted(harness, crawl.id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    let exit: Exit;
    try {
      exit = await sigterm(child, stderr, graceMs + EXIT_SLACK_MS);
    } finally {
      harness.sandbox.configure({ latencyMs: 15 });
    }

    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    expect(exit.afterMs).toBeLessThan(graceMs + EXIT_SLACK_MS);

    // No worker runs now, so nothing but the shutdown itself can have put the job back.
    const { crawl: stopped, checkpoint } = await crawlState(harness.context, crawl.id);
    expect(checkpoint.pages).toBeLessThanOrEqual(stuckAt + 1);
    const current = crawlJobId(stopped, checkpoint.segmentPages);
    expect(await queue.getJobCounts('active')).toEqual({ active: 0 });
    expect(await queue.getJobState(current)).toBe('waiting');
    await new Promise((resolve) => setTimeout(resolve, LOCK_MS + 500));
    expect(await queue.getJobCounts('active')).toEqual({ active: 0 });
    expect(await queue.getJobState(current)).toBe('waiting');

    const restarted = harness.spawnWorker({ SHUTDOWN_GRACE_MS: '5000' });
    const restartedStderr = captureOutput(restarted);
    const { crawl: done } = await waitForCrawlStatus(harness.context, crawl.id, ['completed', 'failed'], 60_000);
    const { ids } = await crawlItemIds(harness.context, crawl.id);
    const restartedExit = await sigterm(restarted, restartedStderr, 5_000 + EXIT_SLACK_MS);

    const { secUid, ids: expected } = await upstreamFollowerIds(username);
    expect(done).toMatchObject({ status: 'completed', items: 3_000 });
    expect(new Set(ids).size).toBe(3_000);
    expect(ids).toEqual(expected);
    // The page cut short may have been answered after the worker left; only it may be fetched twice.
    expect(refetchedPages(harness.sandbox.stats().pages, secUid).extraFetches).toBeLessThanOrEqual(1);
    expect(restartedExit, restartedExit.stderr).toMatchObject({ code: 0, signal: null });
  });
});

describe('a worker stopped the moment it starts', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await startWorkerHarness();
  });
  afterAll(async () => {
    await harness?.close();
  });

  // Closing BullMQ objects whose connections are still connecting made BullMQ emit an error after
  // removing every listener (taskforcesh/bullmq#3546): about half of these stops crashed with exit 1
  // before the fix. A deploy or a crash loop can stop a worker that early.
  it('exits 0 every time, without an unhandled error', async () => {
    for (let round = 0; round < 6; round += 1) {
      const child = spawn(process.execPath, ['--import', 'tsx', workerMain], {
        env: { ...process.env, ...harness.env, LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const output = captureOutput(child);
      await waitFor(() => output().includes('worker started') || child.exitCode !== null, { timeoutMs: 30_000, intervalMs: 5 });
      const exit = await sigterm(child, output, GRACE_FOR_EARLY_STOP_MS);
      expect({ code: exit.code, signal: exit.signal }, `round ${round}: ${exit.stderr}`).toEqual({ code: 0, signal: null });
    }
  });
});
