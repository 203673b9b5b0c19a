import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedis, testSandbox, waitFor, type TestRedis } from '@pubcrawl/testing';
import type { RunningSandbox } from '@pubcrawl/sandbox';
import { PostingClient, QuotaLimiter, waitForQuota } from '../src/index';

interface PublishJob {
  accountId: string;
  n: number;
}

let redis: TestRedis;
let sandbox: RunningSandbox;
let posting: PostingClient;
let workerConnection: Redis;

beforeAll(async () => {
  [redis, sandbox] = await Promise.all([testRedis(), testSandbox()]);
  posting = new PostingClient({ baseUrl: sandbox.url, apiKey: 'sk_bullmq_test' });
  // BullMQ's blocking commands need a connection that never gives up on a request.
  workerConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  workerConnection.disconnect();
  await posting.close();
  await sandbox.close();
  await redis.cleanup();
});

describe('waitForQuota in a BullMQ processor', () => {
  it("completes account B's jobs while account A's extra jobs wait in delayed without using an attempt", async () => {
    const limiter = new QuotaLimiter({
      redis: redis.client,
      keyPrefix: `${redis.prefix}:quota`,
      accountLimit: (action, accountId) => (action === 'publish' && accountId === 'acct_A' ? 1 : undefined),
      limits: { publishPerMinute: 100 },
    });
    const queueName = `test-${randomUUID()}`;
    const queue = new Queue<PublishJob>(queueName, { connection: redis.client, prefix: redis.prefix });
    const worker = new Worker<PublishJob>(
      queueName,
      async (job: Job<PublishJob>, token?: string) => {
        await waitForQuota(job, token, await limiter.acquire(posting.scopesFor('publish', job.data.accountId)));
        const { publishId } = await posting.createPost({
          accountId: job.data.accountId,
          content: `post ${job.data.n}`,
          mediaItems: [{ url: `https://cdn.example.com/${job.data.accountId}-${job.data.n}.mp4` }],
          tiktokSettings: { privacy_level: 'SELF_ONLY', allow_comment: true, allow_duet: false, allow_stitch: false },
        });
        return publishId;
      },
      { connection: workerConnection, prefix: redis.prefix, concurrency: 2 },
    );
    try {
      const jobs = await queue.addBulk(
        ['acct_A', 'acct_B', 'acct_A', 'acct_B', 'acct_A', 'acct_B', 'acct_B'].map((accountId, n) => ({
          name: 'publish',
          data: { accountId, n },
          opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 } },
        })),
      );
      const ofA = jobs.filter((job) => job.data.accountId === 'acct_A').map((job) => job.id ?? '');
      const ofB = jobs.filter((job) => job.data.accountId === 'acct_B').map((job) => job.id ?? '');

      await waitFor(
        async () => {
          const counts = await queue.getJobCounts('completed', 'delayed');
          return counts.completed === ofB.length + 1 && counts.delayed === ofA.length - 1;
        },
        { timeoutMs: 10_000, describe: () => queue.getJobCounts() },
      );

      for (const id of ofB) expect(await queue.getJobState(id)).toBe('completed');
      const statesOfA = await Promise.all(ofA.map((id) => queue.getJobState(id)));
      expect(statesOfA.filter((state) => state === 'completed')).toHaveLength(1);
      expect(statesOfA.filter((state) => state === 'delayed')).toHaveLength(ofA.length - 1);

      for (const id of ofA) {
        const job = await queue.getJob(id);
        if ((await job?.getState()) !== 'delayed') continue;
        // Ran once, was denied, and that did not count as an attempt (nor did it fail).
        expect(job?.attemptsMade).toBe(0);
        expect(job?.attemptsStarted).toBeGreaterThanOrEqual(1);
        // Parked until A's minute is over, not retried in a hot loop.
        expect((job?.delay ?? 0) + (job?.processedOn ?? 0)).toBeGreaterThan(Date.now() + 50_000);
      }
      expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
      expect(await queue.isPaused()).toBe(false);
      // The upstream saw one publish for A and every publish for B.
      const publishes = sandbox.stats().publishes;
      expect(publishes.filter((p) => p.accountId === 'acct_A')).toHaveLength(1);
      expect(publishes.filter((p) => p.accountId === 'acct_B')).toHaveLength(ofB.length);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await limiter.close();
    }
  });
});
