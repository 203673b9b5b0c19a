import type { RunningSandbox } from '@pubcrawl/sandbox';
import { testSandbox, waitFor } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiWorkers, startTestApi, type ApiWorkers, type TestApi } from './harness';
import { createAccount, publishElsewhere, QUICK_POLLING_ENV, tableCount, videoBody } from './publishing-fixtures';

/** The sandbox records a publish whose media URL contains "hang", then never answers it. */
const HANGING_MEDIA = 'https://cdn.example.com/hang/clip.mp4';
const WEBHOOK_URL = 'http://127.0.0.1:9/hooks';

interface PostJson {
  id: string;
  status: string;
  publishId: string | null;
  publicUrl: string | null;
  error: { code: string; message: string } | null;
  events?: Array<{ to: string; code: string | null; message: string | null }>;
}

describe('POST /v1/posts/:id/resolve', () => {
  let api: TestApi;
  let sandbox: RunningSandbox;
  let workers: ApiWorkers;

  beforeAll(async () => {
    // Deliveries are only recorded here: no webhook worker runs, so they stay pending for inspection.
    api = await startTestApi({ WEBHOOK_URL: WEBHOOK_URL });
    sandbox = await testSandbox({ quotaPerSecond: 0, publishDurationMs: 300 });
    workers = startApiWorkers(api, sandbox, ['publish', 'publish-status'], {
      ...QUICK_POLLING_ENV,
      WEBHOOK_URL,
      WEBHOOK_SECRET: 'resolve-test-secret-0123456789',
      UPSTREAM_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    await workers?.stop();
    await sandbox?.close();
    await api?.close();
  });

  async function getPost(id: string): Promise<PostJson> {
    return (await api.app.inject({ method: 'GET', url: `/v1/posts/${id}`, headers: api.auth })).json();
  }

  async function waitForStatus(id: string, status: string): Promise<PostJson> {
    return waitFor(
      async () => {
        const post = await getPost(id);
        return post.status === status ? post : undefined;
      },
      { timeoutMs: 20_000, describe: async () => JSON.stringify(await getPost(id)) },
    );
  }

  /** A post whose publish call reached the provider and was never answered: truly unconfirmed. */
  async function unconfirmedPost(): Promise<{ post: PostJson; account: { id: string; externalId: string } }> {
    const account = await createAccount(api);
    const created = await api.app.inject({ method: 'POST', url: '/v1/posts', headers: api.auth, payload: videoBody(account.id, { mediaItems: [{ url: HANGING_MEDIA }] }) });
    expect(created.statusCode, created.body).toBe(202);
    const post = await waitForStatus(created.json().id, 'unconfirmed');
    expect(post.error?.code).toBe('outcome_unknown');
    return { post, account };
  }

  function resolve(id: string, payload: unknown) {
    return api.app.inject({ method: 'POST', url: `/v1/posts/${id}/resolve`, headers: api.auth, payload: payload as Record<string, unknown> });
  }

  async function deliveriesFor(postId: string): Promise<string[]> {
    const result = await api.db.pool.query<{ event_key: string }>('select event_key from webhook_deliveries where body like $1 order by created_at', [`%${postId}%`]);
    return result.rows.map((row) => row.event_key);
  }

  it('ends a post the operator did not find as failed, with their reason and a post.failed webhook', async () => {
    const { post } = await unconfirmedPost();
    const reason = 'not on the profile nor in the inbox at 14:05';
    const resolved = await resolve(post.id, { outcome: 'not_published', reason });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json()).toMatchObject({ status: 'failed', error: { code: 'not_published', message: reason } });

    const detail = await getPost(post.id);
    expect(detail.events?.at(-1)).toMatchObject({ to: 'failed', code: 'not_published', message: reason });
    expect(await deliveriesFor(post.id)).toEqual(['post.unconfirmed', 'post.failed']);

    // A verdict is given once: the post is no longer unconfirmed.
    const again = await resolve(post.id, { outcome: 'published' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'conflict', fields: { status: 'failed' } });
    // Still the deliberate way back: failed posts can be retried.
    expect((await getPost(post.id)).status).toBe('failed');
  });

  it('marks a post the operator found as published, with its URL, without sending anything again', async () => {
    const { post } = await unconfirmedPost();
    const publishesBefore = sandbox.stats().publishes.reduce((sum, entry) => sum + entry.count, 0);
    const publicUrl = 'https://www.tiktok.com/@someone/video/7300000000000000001';
    const resolved = await resolve(post.id, { outcome: 'published', publicUrl });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json()).toMatchObject({ status: 'published', publicUrl, error: null });
    expect((await getPost(post.id)).events?.at(-1)).toMatchObject({ to: 'published', code: 'operator_resolved' });
    expect(await deliveriesFor(post.id)).toEqual(['post.unconfirmed', 'post.published']);
    // Nothing was re-sent: the verdict only records what the operator saw.
    await new Promise((resolveSleep) => setTimeout(resolveSleep, 500));
    expect(sandbox.stats().publishes.reduce((sum, entry) => sum + entry.count, 0)).toBe(publishesBefore);
  });

  it('polls a post the operator found with its publish id to the provider\u2019s own outcome', async () => {
    const { post, account } = await unconfirmedPost();
    // The publish id the operator found; made here through the posting API for the same account.
    const publishId = await publishElsewhere(sandbox, account.externalId, 'https://cdn.example.com/found.mp4', 'found by the operator');

    const resolved = await resolve(post.id, { outcome: 'published', publishId });
    expect(resolved.statusCode, resolved.body).toBe(200);
    expect(resolved.json()).toMatchObject({ status: 'processing', publishId, error: null, finishedAt: null });
    const published = await waitForStatus(post.id, 'published');
    expect(published.publicUrl).toMatch(/^https:\/\/www\.tiktok\.com\//);
    expect(published.events?.map((event) => event.to).slice(-3)).toEqual(['unconfirmed', 'processing', 'published']);

    // The same publish id cannot be claimed by a second post.
    const other = await unconfirmedPost();
    const taken = await resolve(other.post.id, { outcome: 'published', publishId });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.fields).toEqual({ publishId: 'already belongs to another post' });
    expect((await getPost(other.post.id)).status).toBe('unconfirmed');
  });

  it('refuses posts that are not unconfirmed and bad verdicts with the field named, writing nothing', async () => {
    const account = await createAccount(api);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const scheduled = (await api.app.inject({ method: 'POST', url: '/v1/posts', headers: api.auth, payload: videoBody(account.id, { scheduledAt: later }) })).json<PostJson>();
    const eventsBefore = await tableCount(api, 'post_events');
    const deliveriesBefore = await tableCount(api, 'webhook_deliveries');

    const notUnconfirmed = await resolve(scheduled.id, { outcome: 'not_published' });
    expect(notUnconfirmed.statusCode).toBe(409);
    expect(notUnconfirmed.json().error).toMatchObject({ code: 'conflict', fields: { status: 'scheduled' } });
    expect((await resolve('00000000-0000-4000-8000-000000000000', { outcome: 'not_published' })).statusCode).toBe(404);

    const bad: Array<[unknown, string]> = [
      [{}, 'outcome'],
      [{ outcome: 'maybe' }, 'outcome'],
      [{ outcome: 'published', publicUrl: 'http://www.tiktok.com/@a/video/1' }, 'publicUrl'],
      [{ outcome: 'published', publishId: '' }, 'publishId'],
      [{ outcome: 'not_published', reason: 'x'.repeat(1_001) }, 'reason'],
      [{ outcome: 'not_published', publicUrl: 'https://www.tiktok.com/@a/video/1' }, ''],
    ];
    for (const [payload, field] of bad) {
      const response = await resolve(scheduled.id, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      const { error } = response.json<{ error: { code: string; fields: Record<string, string> } }>();
      expect(error.code, JSON.stringify(payload)).toBe('invalid_input');
      if (field !== '') expect(Object.keys(error.fields), JSON.stringify(payload)).toContain(field);
    }
    expect((await getPost(scheduled.id)).status).toBe('scheduled');
    expect(await tableCount(api, 'post_events')).toBe(eventsBefore);
    expect(await tableCount(api, 'webhook_deliveries')).toBe(deliveriesBefore);
  });
});
