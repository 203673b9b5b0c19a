import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReconcilers } from '../src/reconcilers/index';
import { startWorkerHarness, type WorkerHarness } from './harness';
import { postsById, publishesPerPost, seedAccounts, seedPosts, UNLIMITED_ENV, waitForPosts } from './publishing-fixtures';

describe('a burst of 1,000 posts across 20 accounts scheduled for the same instant', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await startWorkerHarness({ sandbox: { quotaPerSecond: 0, accountLimits: null, publishDurationMs: 300 }, env: UNLIMITED_ENV });
  });
  afterAll(async () => {
    await harness.close();
  });

  it('publishes every post, and the sandbox counts exactly one publish per post', async () => {
    const owners = await seedAccounts(harness.context, 20);
    const scheduledAt = new Date(Date.now() + 2_000);
    const seeded = await seedPosts(harness.context, owners, { perAccount: 50, scheduledAt });
    const { context } = harness.startWorkers();
    const reconcilers = startReconcilers(context);
    try {
      const counts = await waitForPosts(harness.context, { timeoutMs: 90_000, statuses: ['published'] });
      expect(counts).toEqual({ published: 1_000 });
    } finally {
      await reconcilers.close();
    }

    const perPost = publishesPerPost(harness.sandbox.stats(), seeded, owners);
    expect([...perPost.values()].filter((count) => count !== 1)).toEqual([]);
    expect(harness.sandbox.stats().publishes.reduce((sum, entry) => sum + entry.count, 0)).toBe(1_000);

    const rows = await postsById(harness.context, seeded.map((post) => post.id));
    for (const row of rows) {
      expect(row.publishId).not.toBeNull();
      expect(row.publicUrl).toMatch(/^https:\/\/www\.tiktok\.com\//);
      expect(row.attempts).toBe(1);
      // Never before its time.
      expect(row.submittedAt?.getTime() ?? 0).toBeGreaterThanOrEqual(scheduledAt.getTime());
    }
    const lateness = rows.map((row) => (row.submittedAt?.getTime() ?? 0) - scheduledAt.getTime()).sort((a, b) => a - b);
    console.log(`burst: submit lateness p50 ${lateness[Math.floor(lateness.length * 0.5)]} ms, p99 ${lateness[Math.floor(lateness.length * 0.99)]} ms`);
  });
});
