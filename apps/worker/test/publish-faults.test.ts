import { postEvents, posts, type PostRow } from '@pubcrawl/db';
import { enqueuePublish } from '@pubcrawl/queue';
import { Permanent } from '@pubcrawl/tiktok';
import { waitFor } from '@pubcrawl/testing';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyWebhookSignature } from '../src/processors/webhooks';
import { publishLane } from '../src/publishing/publish-lane';
import { startWorkerHarness, type WorkerHarness } from './harness';
import { publishesPerPost, seedAccounts, seedPosts, UNLIMITED_ENV } from './publishing-fixtures';
import { startWebhookReceiver, type ReceivedWebhook } from './webhook-receiver';

const SECRET = 'webhook-secret-0123456789';

async function waitForStatus(harness: WorkerHarness, postId: string, status: PostRow['status'], timeoutMs = 30_000): Promise<PostRow> {
  return waitFor(
    async () => {
      const [row] = await harness.context.db.db.select().from(posts).where(eq(posts.id, postId));
      return row?.status === status ? row : undefined;
    },
    {
      timeoutMs,
      describe: async () => (await harness.context.db.db.select().from(posts).where(eq(posts.id, postId)))[0],
    },
  );
}

/** The delivered webhook for `key` about `id`, after checking its signature against the raw body. */
async function webhookFor(received: ReceivedWebhook[], key: string, id: string): Promise<{ key: string; data: Record<string, unknown>; date: string }> {
  const hook = await waitFor(() => received.find((entry) => entry.headers['x-pubcrawl-event'] === key && entry.body.includes(id)), { timeoutMs: 15_000 });
  expect(verifyWebhookSignature(SECRET, String(hook.headers['x-pubcrawl-signature']), hook.body)).toBe(true);
  return JSON.parse(hook.body) as { key: string; data: Record<string, unknown>; date: string };
}

describe('publishing through the sandbox, fault by fault', () => {
  let harness: WorkerHarness;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let workers: ReturnType<WorkerHarness['startWorkers']>;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    harness = await startWorkerHarness({
      sandbox: { quotaPerSecond: 0, accountLimits: null, publishDurationMs: 300 },
      env: {
        ...UNLIMITED_ENV,
        WEBHOOK_URL: receiver.url,
        WEBHOOK_SECRET: SECRET,
        UPSTREAM_TIMEOUT_MS: '1000',
        PUBLISH_ATTEMPTS: '2',
        PUBLISH_STATUS_HORIZON: '3000',
      },
    });
    workers = harness.startWorkers();
  });
  afterAll(async () => {
    await harness.close();
    await receiver.close();
  });

  it('publishes a post, keeps its public URL and delivers a signed post.published webhook', async () => {
    const owners = await seedAccounts(harness.context, 1, 'ok');
    const [post] = await seedPosts(harness.context, owners, { perAccount: 1, scheduledAt: new Date() });
    if (post === undefined) throw new Error('no post');
    const row = await waitForStatus(harness, post.id, 'published');
    expect(row).toMatchObject({ attempts: 1, lastErrorCode: null });
    expect(row.publicUrl).toMatch(/^https:\/\/www\.tiktok\.com\/@ok_0\/video\//);
    const hook = await webhookFor(receiver.received, 'post.published', post.id);
    expect(hook).toMatchObject({ key: 'post.published', data: { id: post.id, status: 'published', publicUrl: row.publicUrl } });
    expect(Number.isNaN(Date.parse(hook.date))).toBe(false);
    const events = await harness.context.db.db.select().from(postEvents).where(eq(postEvents.postId, post.id)).orderBy(asc(postEvents.id));
    expect(events.map((event) => event.toStatus)).toEqual(['scheduled', 'publishing', 'processing', 'published']);
    // The receiver has it; the delivery row is updated just after the receiver answers.
    const deliveries = await waitFor(async () => {
      const result = await harness.context.db.pool.query<{ status: string; attempts: number }>("select status, attempts from webhook_deliveries where event_key = 'post.published' and body like $1", [`%${post.id}%`]);
      return result.rows[0]?.status === 'delivered' ? result.rows : undefined;
    });
    expect(deliveries).toEqual([{ status: 'delivered', attempts: 1 }]);
    const attempts = await harness.context.db.pool.query("select * from webhook_attempts a join webhook_deliveries d on d.id = a.delivery_id where d.body like $1", [`%${post.id}%`]);
    expect(attempts.rowCount).toBe(1);
  });

  it('turns a provider that never answers into unconfirmed, sent at most once and never again', async () => {
    const owners = await seedAccounts(harness.context, 1, 'hang');
    const seeded = await seedPosts(harness.context, owners, { perAccount: 1, scheduledAt: new Date(), mediaUrl: () => 'https://cdn.example.com/hang/clip.mp4' });
    const [post] = seeded;
    if (post === undefined) throw new Error('no post');
    const row = await waitForStatus(harness, post.id, 'unconfirmed');
    expect(row.lastErrorCode).toBe('outcome_unknown');
    expect(row.lastErrorMessage).toMatch(/outcome is unknown|do not re-send/);
    const hook = await webhookFor(receiver.received, 'post.unconfirmed', post.id);
    expect(hook.data).toMatchObject({ id: post.id, status: 'unconfirmed', error: { code: 'outcome_unknown' } });
    // Give the job's retries and a few reconciler passes the chance to (wrongly) send it again.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(publishesPerPost(harness.sandbox.stats(), seeded, owners).get(post.id)).toBe(1);
    const [after] = await harness.context.db.db.select().from(posts).where(eq(posts.id, post.id));
    expect(after?.status).toBe('unconfirmed');
  });

  it('fails a post the provider reports FAILED, keeping its fail_reason, with a post.failed webhook', async () => {
    const owners = await seedAccounts(harness.context, 1, 'fail');
    const [post] = await seedPosts(harness.context, owners, { perAccount: 1, scheduledAt: new Date(), mediaUrl: () => 'https://cdn.example.com/fail/clip.mp4' });
    if (post === undefined) throw new Error('no post');
    const row = await waitForStatus(harness, post.id, 'failed');
    expect(row).toMatchObject({ lastErrorCode: 'file_format_check_failed', publishId: expect.any(String) });
    const hook = await webhookFor(receiver.received, 'post.failed', post.id);
    expect(hook.data).toMatchObject({ error: { code: 'file_format_check_failed' } });
  });

  it('gives up polling at the horizon as failed with status_timeout', async () => {
    harness.sandbox.configure({ publishDurationMs: 60_000 });
    try {
      const owners = await seedAccounts(harness.context, 1, 'slow');
      const [post] = await seedPosts(harness.context, owners, { perAccount: 1, scheduledAt: new Date() });
      if (post === undefined) throw new Error('no post');
      const row = await waitForStatus(harness, post.id, 'failed', 20_000);
      expect(row.lastErrorCode).toBe('status_timeout');
      expect(row.finishedAt && row.submittedAt ? row.finishedAt.getTime() - row.submittedAt.getTime() : 0).toBeGreaterThanOrEqual(3_000);
    } finally {
      harness.sandbox.configure({ publishDurationMs: 300 });
    }
  });

  it('fails at once with the provider code and message on a permanent error', async () => {
    const owners = await seedAccounts(harness.context, 1, 'perm');
    const createPost = vi
      .spyOn(publishLane(workers.context).posting, 'createPost')
      .mockRejectedValueOnce(new Permanent({ upstream: 'posting', endpoint: 'POST /api/content/post', httpStatus: 400, code: 'spam_risk_too_many_posts', message: 'Posting API answered 400 (spam_risk_too_many_posts): too many posts' }));
    try {
      const [post] = await seedPosts(harness.context, owners, { perAccount: 1, scheduledAt: new Date() });
      if (post === undefined) throw new Error('no post');
      const row = await waitForStatus(harness, post.id, 'failed');
      // A refusal is not an attempt: the provider published nothing, so the count is given back.
      expect(row).toMatchObject({ attempts: 0, lastErrorCode: 'spam_risk_too_many_posts', lastErrorMessage: expect.stringContaining('too many posts') });
      await webhookFor(receiver.received, 'post.failed', post.id);
    } finally {
      createPost.mockRestore();
    }
  });

  it('does nothing for a job of an older generation', async () => {
    const owners = await seedAccounts(harness.context, 1, 'stale');
    const [post] = await seedPosts(harness.context, owners, { perAccount: 1, scheduledAt: new Date(Date.now() + 3_600_000), enqueue: false });
    if (post === undefined) throw new Error('no post');
    await harness.context.db.db.update(posts).set({ generation: 1 }).where(eq(posts.id, post.id));
    await enqueuePublish(harness.context.queues, { ...post, generation: 0, scheduledAt: new Date() });
    const job = await waitFor(async () => {
      const found = await harness.context.queues.publish.getJob(`publish-${post.id}-0`);
      return found?.finishedOn === undefined ? undefined : found;
    });
    expect(job.returnvalue).toEqual({ skipped: 'stale generation 0' });
    const [row] = await harness.context.db.db.select().from(posts).where(eq(posts.id, post.id));
    expect(row?.status).toBe('scheduled');
  });

  it('retries a transient error with backoff and then fails with the last error, never having published', async () => {
    harness.sandbox.configure({ errorRate: 1 });
    try {
      const owners = await seedAccounts(harness.context, 1, 'flaky');
      const seeded = await seedPosts(harness.context, owners, { perAccount: 1, scheduledAt: new Date() });
      const [post] = seeded;
      if (post === undefined) throw new Error('no post');
      const row = await waitForStatus(harness, post.id, 'failed', 30_000);
      expect(row).toMatchObject({ attempts: 2, lastErrorCode: 'http_500' });
      expect(row.lastErrorMessage).toMatch(/gave up after 2 attempts/);
      expect(publishesPerPost(harness.sandbox.stats(), seeded, owners).get(post.id)).toBe(0);
      const events = await harness.context.db.db.select().from(postEvents).where(eq(postEvents.postId, post.id)).orderBy(asc(postEvents.id));
      expect(events.map((event) => event.toStatus)).toEqual(['scheduled', 'publishing', 'scheduled', 'publishing', 'failed']);
    } finally {
      harness.sandbox.configure({ errorRate: 0 });
    }
  });
});
