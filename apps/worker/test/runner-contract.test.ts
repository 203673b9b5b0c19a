import { randomUUID } from 'node:crypto';
import { ALL_QUEUE_NAMES, type JobPayload } from '@pubcrawl/domain';
import { waitFor } from '@pubcrawl/testing';
import { accountScope, Permanent, QuotaLimiter, QuotaWait, RateLimited, SessionExpired, Transient, waitForQuota } from '@pubcrawl/tiktok';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { rescheduleAt, type JobRun } from '../src/job-contract';
import { actionForError, toBullProcessor } from '../src/runner';
import { startWorkerHarness, type WorkerHarness } from './harness';

let harness: WorkerHarness;
let connection: Redis;

beforeAll(async () => {
  harness = await startWorkerHarness();
  // A worker's blocking commands need a connection that never gives up on a request.
  connection = new Redis(harness.env.REDIS_URL ?? '', { maxRetriesPerRequest: null });
});
afterAll(async () => {
  connection.disconnect();
  await harness?.close();
});

const upstream = { upstream: 'posting' as const, endpoint: 'POST /api/content/post', message: 'refused' };

/** A queue of its own, driven by `processor` through the runner's contract (payload `{n}`). */
async function withContractQueue(
  processor: (run: JobRun<'publish'>) => ReturnType<Parameters<typeof toBullProcessor<'publish'>>[1]>,
  body: (queue: Queue) => Promise<void>,
): Promise<void> {
  const queueName = `test-${randomUUID()}`;
  const queue = new Queue(queueName, { connection: harness.context.redis, prefix: harness.env.QUEUE_PREFIX });
  // Any payload schema will do: the contract is the same on every queue.
  const schema = z.object({ n: z.number() }) as unknown as z.ZodType<JobPayload<'publish'>>;
  const worker = new Worker(queueName, toBullProcessor('publish', processor, schema), { connection, prefix: harness.env.QUEUE_PREFIX, concurrency: 4 });
  try {
    await body(queue);
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

describe('the runner owns the job contract', () => {
  it('fails an invalid payload for good, on every queue, without running its processor', async () => {
    const running = harness.startWorkers();
    try {
      const ids: Array<[string, string]> = [];
      for (const name of ALL_QUEUE_NAMES) {
        const job = await harness.context.queues[name].add(name, { not: 'a payload' } as never, { attempts: 5 });
        ids.push([name, job.id ?? '']);
      }
      for (const [name, id] of ids) {
        const queue = harness.context.queues[name as (typeof ALL_QUEUE_NAMES)[number]];
        await waitFor(async () => (await queue.getJobState(id)) === 'failed', { timeoutMs: 10_000, describe: () => queue.getJobState(id) });
        const job = await queue.getJob(id);
        expect(job?.failedReason, name).toContain(`invalid ${name} job payload`);
        // Unrecoverable: one attempt of five, no backoff.
        expect(job?.attemptsMade, name).toBe(1);
      }
    } finally {
      await running.stop();
    }
  });

  it('maps the error taxonomy to one action each', () => {
    const now = 1_000_000;
    expect(actionForError(new QuotaWait(now + 5_000, accountScope('publish', 'a'), 5_000), now)).toMatchObject({ kind: 'delay', untilMs: now + 5_000 });
    expect(actionForError(new RateLimited({ ...upstream, retryAfterMs: 2_000, scope: null }), now)).toMatchObject({ kind: 'delay', untilMs: now + 2_000 });
    expect(actionForError(new SessionExpired(upstream), now)).toMatchObject({ kind: 'complete', result: { parked: 'session expired' } });
    expect(actionForError(new Transient(upstream), now)).toMatchObject({ kind: 'retry' });
    expect(actionForError(new Permanent({ ...upstream, code: 'spam_risk' }), now)).toMatchObject({ kind: 'fail', reason: 'spam_risk: refused' });
    expect(actionForError(new Error('a bug'), now)).toMatchObject({ kind: 'retry' });
  });

  it('delays without spending an attempt, retries transient errors with backoff, fails permanent ones with the reason, and says which attempt is the last', async () => {
    const seenLast = new Map<number, boolean[]>();
    await withContractQueue(
      async (run) => {
        const n = (run.payload as unknown as { n: number }).n;
        seenLast.set(n, [...(seenLast.get(n) ?? []), run.isLastAttempt]);
        if (n === 0) {
          // Rescheduled once, then done.
          return run.starts <= 1 ? rescheduleAt(Date.now() + 300, 'poll again') : { done: run.starts };
        }
        if (n === 1) throw new QuotaWait(Date.now() + 60_000, accountScope('publish', 'acct'), 60_000);
        if (n === 2) throw new Transient(upstream);
        if (n === 3) throw new Permanent({ ...upstream, code: 'privacy_level_option_mismatch' });
        throw new SessionExpired(upstream);
      },
      async (queue) => {
        const opts = { attempts: 3, backoff: { type: 'fixed', delay: 100 } };
        const [rescheduled, waiting, transient, permanent, parked] = await queue.addBulk([0, 1, 2, 3, 4].map((n) => ({ name: 'contract', data: { n }, opts })));
        const state = (id: string | undefined) => queue.getJobState(id ?? '');
        await waitFor(
          async () =>
            (await state(rescheduled?.id)) === 'completed' &&
            (await state(transient?.id)) === 'failed' &&
            (await state(permanent?.id)) === 'failed' &&
            (await state(parked?.id)) === 'completed' &&
            (await state(waiting?.id)) === 'delayed',
          { timeoutMs: 10_000, describe: () => queue.getJobCounts() },
        );
        const job = async (id: string | undefined) => queue.getJob(id ?? '');
        // Two starts, one attempt: the reschedule did not count, the completing run did.
        expect((await job(rescheduled?.id))?.attemptsStarted).toBe(2);
        expect((await job(rescheduled?.id))?.attemptsMade).toBe(1);
        expect((await job(rescheduled?.id))?.returnvalue).toEqual({ done: 2 });
        const waited = await job(waiting?.id);
        expect(waited?.attemptsMade).toBe(0);
        expect((waited?.delay ?? 0) + (waited?.processedOn ?? 0)).toBeGreaterThan(Date.now() + 50_000);
        expect((await job(transient?.id))?.attemptsMade).toBe(3);
        expect(seenLast.get(2)).toEqual([false, false, true]);
        const failedForGood = await job(permanent?.id);
        expect(failedForGood?.attemptsMade).toBe(1);
        expect(failedForGood?.failedReason).toBe('privacy_level_option_mismatch: refused');
        expect((await job(parked?.id))?.returnvalue).toMatchObject({ parked: 'session expired' });
      },
    );
  });

  it("completes account B's jobs while account A's extra jobs wait in delayed without using an attempt", async () => {
    const limiter = new QuotaLimiter({
      redis: harness.context.redis,
      keyPrefix: `${harness.env.QUEUE_PREFIX}:contract-quota`,
      accountLimit: (action, accountId) => (action === 'publish' && accountId === 'acct_A' ? 1 : undefined),
      limits: { publishPerMinute: 100 },
    });
    try {
      const accounts = ['acct_A', 'acct_B', 'acct_A', 'acct_B', 'acct_A', 'acct_B', 'acct_B'];
      const sent: string[] = [];
      await withContractQueue(
        async (run) => {
          const account = accounts[(run.payload as unknown as { n: number }).n] ?? '';
          await waitForQuota(await limiter.acquire([accountScope('publish', account)]));
          sent.push(account);
          return { sent: account };
        },
        async (queue) => {
          await queue.addBulk(accounts.map((_, n) => ({ name: 'publish', data: { n }, opts: { attempts: 3 } })));
          await waitFor(
            async () => {
              const counts = await queue.getJobCounts('completed', 'delayed');
              return counts.completed === 5 && counts.delayed === 2;
            },
            { timeoutMs: 10_000, describe: () => queue.getJobCounts() },
          );
          const delayed = await queue.getJobs(['delayed']);
          for (const job of delayed) expect(job.attemptsMade).toBe(0);
          expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
          expect(await queue.isPaused()).toBe(false);
          expect(sent.filter((account) => account === 'acct_A')).toHaveLength(1);
          expect(sent.filter((account) => account === 'acct_B')).toHaveLength(4);
        },
      );
    } finally {
      await limiter.close();
    }
  });
});
