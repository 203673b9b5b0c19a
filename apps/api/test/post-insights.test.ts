import { postMetricOffsets, posts, videoSnapshots } from '@pubcrawl/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { createAccount, videoBody } from './publishing-fixtures';

describe('GET /v1/posts/:id/metrics', () => {
  let api: TestApi;
  let postId: string;

  beforeAll(async () => {
    api = await startTestApi();
    const account = await createAccount(api);
    const created = await api.app.inject({ method: 'POST', url: '/v1/posts', headers: api.auth, payload: videoBody(account.id, { scheduledAt: new Date(Date.now() + 86_400_000).toISOString() }) });
    postId = created.json<{ id: string }>().id;
  });
  afterAll(async () => {
    await api?.close();
  });

  it('answers empty lists for a post that is not published yet', async () => {
    const response = await api.app.inject({ method: 'GET', url: `/v1/posts/${postId}/metrics`, headers: api.auth });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ postId, videoId: null, snapshots: [], pending: [] });
  });

  it('lists the snapshots taken, oldest first, and the offsets still pending, soonest first', async () => {
    const publishedAt = Date.parse('2030-01-01T00:00:00.000Z');
    const at = (ms: number) => new Date(publishedAt + ms);
    const { db } = api.db;
    await db.update(posts).set({ videoId: '7000000000000000001' }).where(eq(posts.id, postId));
    await db.insert(postMetricOffsets).values([
      { postId, offsetLabel: '1h', dueAt: at(3_600_000), takenAt: at(3_600_500) },
      { postId, offsetLabel: '6h', dueAt: at(21_600_000), takenAt: at(21_601_000) },
      { postId, offsetLabel: '7d', dueAt: at(604_800_000) },
      { postId, offsetLabel: '24h', dueAt: at(86_400_000) },
    ]);
    await db.insert(videoSnapshots).values([
      { videoId: '7000000000000000001', postId, offsetLabel: '6h', plays: 900, likes: 90, comments: 9, shares: 3, takenAt: at(21_601_000) },
      { videoId: '7000000000000000001', postId, offsetLabel: '1h', plays: 100, likes: 10, comments: 1, shares: 0, takenAt: at(3_600_500) },
    ]);
    const response = await api.app.inject({ method: 'GET', url: `/v1/posts/${postId}/metrics`, headers: api.auth });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      postId,
      videoId: '7000000000000000001',
      snapshots: [
        { offset: '1h', takenAt: '2030-01-01T01:00:00.500Z', plays: 100, likes: 10, comments: 1, shares: 0 },
        { offset: '6h', takenAt: '2030-01-01T06:00:01.000Z', plays: 900, likes: 90, comments: 9, shares: 3 },
      ],
      pending: [
        { offset: '24h', dueAt: '2030-01-02T00:00:00.000Z' },
        { offset: '7d', dueAt: '2030-01-08T00:00:00.000Z' },
      ],
    });
  });

  it('answers 404 for an unknown post and 400 naming the id for one that is not a uuid', async () => {
    const missing = await api.app.inject({ method: 'GET', url: '/v1/posts/00000000-0000-4000-8000-000000000000/metrics', headers: api.auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'not_found' } });
    const bad = await api.app.inject({ method: 'GET', url: '/v1/posts/not-a-uuid/metrics', headers: api.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'invalid_input', fields: { id: expect.any(String) } } });
  });
});
