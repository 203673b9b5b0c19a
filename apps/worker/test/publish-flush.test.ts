import { deleteKeysWithPrefix, waitFor } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReconcilers } from '../src/reconcilers/index';
import { startWorkerHarness, type WorkerHarness } from './harness';
import { publishesPerPost, seedAccounts, seedPosts, statusCounts, UNLIMITED_ENV, waitForPosts } from './publishing-fixtures';

describe('every Redis key of the run deleted in the middle of a 1,000-post burst', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await startWorkerHarness({
      sandbox: { quotaPerSecond: 0, accountLimits: null, publishDurationMs: 500 },
      env: { ...UNLIMITED_ENV, UPSTREAM_TIMEOUT_MS: '5000' },
    });
  });
  afterAll(async () => {
    await harness.close();
  });

  it('still publishes every post exactly once, rebuilt from Postgres by the reconciler', async () => {
    const owners = await seedAccounts(harness.context, 20);
    const seeded = await seedPosts(harness.context, owners, { perAccount: 50, scheduledAt: new Date(Date.now() + 2_000) });
    const { context } = harness.startWorkers();
    const reconcilers = startReconcilers(context);
    try {
      await waitFor(async () => ((await statusCounts(harness.context)).published ?? 0) >= 150 || undefined, { timeoutMs: 60_000 });
      // The equivalent of FLUSHALL for this test: the Redis server is shared, so only our prefix goes.
      const before = await statusCounts(harness.context);
      const deleted = await deleteKeysWithPrefix(harness.redis.client, harness.redis.prefix);
      console.log(`flush: deleted ${deleted} keys at ${JSON.stringify(before)}`);
      expect(deleted).toBeGreaterThan(100);

      const counts = await waitForPosts(harness.context, { timeoutMs: 100_000, statuses: ['published'] });
      expect(counts).toEqual({ published: 1_000 });
    } finally {
      await reconcilers.close();
    }
    const perPost = publishesPerPost(harness.sandbox.stats(), seeded, owners);
    expect([...perPost.values()].filter((count) => count !== 1)).toEqual([]);
  });
});
