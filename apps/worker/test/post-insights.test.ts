import { createPostBodySchema, resolveMediaType } from '@pubcrawl/contracts';
import { accounts, insertPosts, postEvents, postMetricOffsets, postMetricsView, posts, videoSnapshots, type AccountRow, type PostRow } from '@pubcrawl/db';
import { enqueuePublish } from '@pubcrawl/queue';
import { waitFor } from '@pubcrawl/testing';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInsightsProcessor } from '../src/processors/insights';
import { reconcileInsights } from '../src/reconcilers/insights';
import { startWorkerHarness, type WorkerHarness } from './harness';
import { publishesPerPost, seedAccounts, UNLIMITED_ENV } from './publishing-fixtures';

const WINDOW_MS = 6_000;

type Privacy = 'PUBLIC_TO_EVERYONE' | 'SELF_ONLY';

/** A post as the API stores it (validated request, created event), enqueued unless told otherwise. */
async function seedPost(harness: WorkerHarness, account: AccountRow, options: { mediaUrl?: string; privacyLevel?: Privacy; enqueue?: boolean; status?: PostRow['status']; submittedAt?: Date } = {}): Promise<PostRow> {
  const request = createPostBodySchema.parse({
    accountId: account.id,
    // Runs of spaces: the feed match compares captions with whitespace normalised.
    content: `insights  ${Math.random().toString(36).slice(2)}   #test`,
    mediaItems: [{ url: options.mediaUrl ?? 'https://cdn.example.com/insights/clip.mp4' }],
    settings: { privacyLevel: options.privacyLevel ?? 'PUBLIC_TO_EVERYONE', allowComment: true, allowDuet: false, allowStitch: false },
  });
  const [post] = await insertPosts(harness.context.db.db, [
    {
      accountId: account.id,
      request,
      mediaType: resolveMediaType(request) ?? 'video',
      requestHash: `insights-${Math.random()}`,
      scheduledAt: new Date(),
      ...(options.status === undefined ? {} : { status: options.status, submittedAt: options.submittedAt ?? null, finishedAt: new Date() }),
    },
  ]);
  if (post === undefined) throw new Error('no post');
  if (options.enqueue !== false) await enqueuePublish(harness.context.queues, post);
  return post;
}

async function postRow(harness: WorkerHarness, id: string): Promise<PostRow | undefined> {
  return (await harness.context.db.db.select().from(posts).where(eq(posts.id, id)))[0];
}

async function waitForStatus(harness: WorkerHarness, id: string, status: PostRow['status'], timeoutMs = 20_000): Promise<PostRow> {
  return waitFor(async () => {
    const row = await postRow(harness, id);
    return row?.status === status ? row : undefined;
  }, { timeoutMs, describe: () => postRow(harness, id) });
}

async function eventsOf(harness: WorkerHarness, id: string) {
  return harness.context.db.db.select().from(postEvents).where(eq(postEvents.postId, id)).orderBy(asc(postEvents.id));
}

describe('post insights: metric snapshots after publishing, unconfirmed posts checked against the public feed', () => {
  let harness: WorkerHarness;

  beforeAll(async () => {
    harness = await startWorkerHarness({
      sandbox: { quotaPerSecond: 0, accountLimits: null, publishDurationMs: 300 },
      env: {
        ...UNLIMITED_ENV,
        POST_METRICS_SCHEDULE: '1s,2s',
        UPSTREAM_TIMEOUT_MS: '1000',
        UNCONFIRMED_VERIFY_WINDOW_MS: String(WINDOW_MS),
        UNCONFIRMED_VERIFY_INTERVAL_MS: '500',
      },
    });
    harness.startWorkers();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('snapshots a published post at each offset, once, under the video id from its public URL', async () => {
    const [account] = await seedAccounts(harness.context, 1, 'metrics');
    if (account === undefined) throw new Error('no account');
    const post = await seedPost(harness, account);
    const published = await waitForStatus(harness, post.id, 'published');
    const videoId = /\/video\/(\d+)/.exec(published.publicUrl ?? '')?.[1];
    expect(videoId).toMatch(/^\d+$/);

    const view = await waitFor(async () => {
      const current = await postMetricsView(harness.context.db.db, post.id);
      return current !== null && current.snapshots.length === 2 ? current : undefined;
    }, { timeoutMs: 20_000, describe: () => postMetricsView(harness.context.db.db, post.id) });
    expect(view).toMatchObject({ postId: post.id, videoId, pending: [] });
    expect(view.snapshots.map((snapshot) => snapshot.offset)).toEqual(['1s', '2s']);
    for (const snapshot of view.snapshots) {
      expect(snapshot.plays).toEqual(expect.any(Number));
      expect(snapshot.likes).toEqual(expect.any(Number));
      // Due at the publish time plus the offset, and not taken before it.
      expect(snapshot.takenAt.getTime()).toBeGreaterThanOrEqual((published.finishedAt?.getTime() ?? 0) + (snapshot.offset === '1s' ? 1_000 : 2_000) - 1_000);
    }

    // The same job run again (a stall, a reconciler twin) writes nothing.
    const process = createInsightsProcessor(harness.context);
    const again = await process({ queue: 'insights', jobId: 'twin', payload: { kind: 'post_metrics', postId: post.id, offset: '1s' }, isLastAttempt: false, starts: 1 });
    expect(again).toEqual({ skipped: 'already taken' });
    const rows = await harness.context.db.db.select().from(videoSnapshots).where(eq(videoSnapshots.postId, post.id));
    expect(rows).toHaveLength(2);
  });

  it('rebuilds from Postgres: an owed offset without a job, and a published post that never got a schedule', async () => {
    const [account] = await seedAccounts(harness.context, 1, 'rebuild');
    if (account === undefined) throw new Error('no account');
    const first = await seedPost(harness, account);
    const published = await waitForStatus(harness, first.id, 'published');
    // An offset row with no job behind it (as after a Redis flush).
    await harness.context.db.db.insert(postMetricOffsets).values({ postId: first.id, offsetLabel: '3s', dueAt: new Date() });
    // Published by an operator's verdict through the API: the row is right, the schedule was never made.
    const resolved = await seedPost(harness, account, { enqueue: false, status: 'published' });
    await harness.context.db.db.update(posts).set({ publicUrl: published.publicUrl }).where(eq(posts.id, resolved.id));

    expect(await reconcileInsights(harness.context)).toBeGreaterThanOrEqual(3);
    await waitFor(async () => {
      const [late] = await harness.context.db.db.select().from(videoSnapshots).where(and(eq(videoSnapshots.postId, first.id), eq(videoSnapshots.offsetLabel, '3s')));
      return late;
    }, { timeoutMs: 15_000 });
    const view = await waitFor(async () => {
      const current = await postMetricsView(harness.context.db.db, resolved.id);
      return current?.snapshots.length === 2 ? current : undefined;
    }, { timeoutMs: 15_000, describe: () => postMetricsView(harness.context.db.db, resolved.id) });
    expect(view.videoId).toBe(/\/video\/(\d+)$/.exec(published.publicUrl ?? '')?.[1]);
  });

  it('resolves a post the sandbox published but whose answer was lost, from the feed, without sending it again', async () => {
    const [account] = await seedAccounts(harness.context, 1, 'lostanswer');
    if (account === undefined) throw new Error('no account');
    // The sandbox records a `hang` publish, completes it and lists it, but never answers the call.
    const post = await seedPost(harness, account, { mediaUrl: 'https://cdn.example.com/hang/clip.mp4' });
    const published = await waitForStatus(harness, post.id, 'published');
    expect(published.publicUrl).toMatch(/^https:\/\/www\.tiktok\.com\/@[^/]+\/video\/\d+$/);
    expect(published.videoId).toBe(/\/video\/(\d+)$/.exec(published.publicUrl ?? '')?.[1]);

    const events = await eventsOf(harness, post.id);
    expect(events.map((event) => event.toStatus)).toEqual(['scheduled', 'publishing', 'unconfirmed', 'published']);
    const evidence = events.at(-1);
    expect(evidence).toMatchObject({ fromStatus: 'unconfirmed', code: 'verified_in_feed', data: { videoId: published.videoId, createTime: expect.any(Number), matchedOn: 'caption and create time' } });
    expect(publishesPerPost(harness.sandbox.stats(), [post], [account]).get(post.id)).toBe(1);
    // Published means the metric schedule starts, as for any other publish.
    await waitFor(async () => ((await postMetricsView(harness.context.db.db, post.id))?.snapshots.length === 2 ? true : undefined), { timeoutMs: 15_000 });
  });

  it('leaves a post the sandbox never received unconfirmed, with what was checked on its timeline', async () => {
    // A username the sandbox has a feed for; nothing of ours was ever published to it.
    const [account] = await harness.context.db.db.insert(accounts).values({ label: 'never', provider: 'posting', externalId: 'never_0', username: 'user_5' }).returning();
    if (account === undefined) throw new Error('no account');
    const post = await seedPost(harness, account, { enqueue: false, status: 'unconfirmed', submittedAt: new Date() });
    // Nothing enqueued it: the reconciler finds an unconfirmed public post inside its window.
    expect(await reconcileInsights(harness.context)).toBeGreaterThanOrEqual(1);

    const note = await waitFor(async () => (await eventsOf(harness, post.id)).find((event) => event.code === 'not_in_feed'), { timeoutMs: WINDOW_MS + 10_000 });
    expect(note.message).toMatch(/^not among the 30 newest posts of @user_5 at \d{4}-\d\d-\d\dT.*Z \(the feed listed \d+\); looked \d+ times? until .*, so it stays unconfirmed$/);
    expect(note.data).toMatchObject({ username: 'user_5', postsChecked: expect.any(Number), looks: expect.any(Number) });
    expect((await postRow(harness, post.id))?.status).toBe('unconfirmed');
    expect(harness.sandbox.stats().publishes.filter((entry) => entry.accountId === 'never_0')).toEqual([]);
  });

  it('does not look for a SELF_ONLY post in the feed, and says why', async () => {
    const [account] = await seedAccounts(harness.context, 1, 'private');
    if (account === undefined) throw new Error('no account');
    const post = await seedPost(harness, account, { mediaUrl: 'https://cdn.example.com/hang/clip.mp4', privacyLevel: 'SELF_ONLY' });
    await waitForStatus(harness, post.id, 'unconfirmed');
    const note = await waitFor(async () => (await eventsOf(harness, post.id)).find((event) => event.code === 'feed_check_skipped'), { timeoutMs: 10_000 });
    expect(note.message).toBe('not looked for in the public feed: its privacy level SELF_ONLY keeps it out of the public feed');
    expect(await harness.context.queues.insights.getJob(`verify-${post.id}-0`)).toBeUndefined();
  });
});
