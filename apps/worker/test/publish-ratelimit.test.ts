import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerHarness, type WorkerHarness } from './harness';
import { postsById, publishesPerPost, seedAccounts, seedPosts, UNLIMITED_ENV, waitForPosts } from './publishing-fixtures';
import { startRecordingProxy, type ProxiedCall } from './recording-proxy';

describe('a 429 storm: the sandbox allows 8 requests a second while our limiter believes in far more', () => {
  let harness: WorkerHarness;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  beforeAll(async () => {
    harness = await startWorkerHarness({ sandbox: { quotaPerSecond: 8, accountLimits: null, publishDurationMs: 300 }, env: UNLIMITED_ENV });
    proxy = await startRecordingProxy(harness.sandbox.url);
  });
  afterAll(async () => {
    await harness.close();
    await proxy.close();
  });

  it('burns no attempt and sends nothing before the provider said it may', async () => {
    // One post per account, so every call for an account belongs to one post and one job.
    const owners = await seedAccounts(harness.context, 25, 'storm');
    const seeded = await seedPosts(harness.context, owners, { perAccount: 1, scheduledAt: new Date() });
    const { context } = harness.startWorkers({ POSTING_BASE_URL: proxy.url });
    const counts = await waitForPosts(harness.context, { timeoutMs: 90_000, statuses: ['published'] });
    expect(counts).toEqual({ published: 25 });

    const limited = proxy.calls.filter((call) => call.status === 429);
    expect(limited.length).toBeGreaterThan(10);
    expect([...publishesPerPost(harness.sandbox.stats(), seeded, owners).values()]).toEqual(seeded.map(() => 1));

    // After a 429 for an account and an endpoint, the next request for them arrives no earlier than
    // the wait the 429 announced, by either header: Retry-After (whole seconds) and the precise
    // X-RateLimit-Reset-Ms.
    const early: ProxiedCall[] = [];
    let retriesChecked = 0;
    const streams = new Map<string, ProxiedCall[]>();
    for (const call of proxy.calls) {
      const key = `${call.accountId ?? '?'} ${call.method}`;
      streams.set(key, [...(streams.get(key) ?? []), call]);
    }
    for (const calls of streams.values()) {
      calls.sort((a, b) => a.arrivedAt - b.arrivedAt);
      calls.forEach((call, index) => {
        const next = calls[index + 1];
        if (call.status !== 429 || next === undefined) return;
        expect(call.retryAfterSeconds).not.toBeNull();
        retriesChecked += 1;
        const announced = Math.max((call.retryAfterSeconds ?? 0) * 1000, call.resetMs ?? 0);
        if (next.arrivedAt < call.answeredAt + announced) early.push(next);
      });
    }
    expect(early).toEqual([]);
    expect(retriesChecked).toBeGreaterThan(10);

    const rows = await postsById(harness.context, seeded.map((post) => post.id));
    expect(rows.map((row) => row.attempts)).toEqual(rows.map(() => 1));
    const jobs = await Promise.all(seeded.map((post) => context.queues.publish.getJob(`publish-${post.id}-0`)));
    const attemptsMade = jobs.map((job) => job?.attemptsMade);
    const started = jobs.map((job) => job?.attemptsStarted ?? 0);
    // Completing counts as the one attempt; every 429 wait before it was a start, not an attempt.
    expect(attemptsMade).toEqual(jobs.map(() => 1));
    expect(Math.max(...started)).toBeGreaterThan(1);
    console.log(
      `429 storm: ${proxy.calls.length} calls, ${limited.length} answered 429; job starts max ${Math.max(...started)}, attemptsMade all 1; ` +
        `${retriesChecked} re-sends after a 429 checked, none before Retry-After`,
    );
  });
});
