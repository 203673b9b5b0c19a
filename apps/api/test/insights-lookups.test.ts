import { profileStatsOnDay } from '@pubcrawl/sandbox';
import { waitFor } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperatorWorld, type OperatorWorld } from './operator-world';

interface ProfileView {
  username: string;
  secUid: string | null;
  privateAccount: boolean;
  stats: { followers: number; following: number; likes: number; videos: number } | null;
  source: 'cache' | 'upstream';
  fetchedAt: string;
}

describe('insights: cached look-ups, profile history, user posts and video history', () => {
  let world: OperatorWorld;
  beforeAll(async () => {
    world = await startOperatorWorld({ api: { TIKAPI_REQUESTS_PER_SECOND: '10000' } });
  }, 30_000);
  afterAll(async () => {
    await world.close();
  }, 30_000);

  const checks = () => world.sandbox.stats().requests.byEndpoint['GET /public/check']?.total ?? 0;
  const get = (url: string) => world.api.app.inject({ method: 'GET', url, headers: world.api.auth });

  it('first from upstream, then from cache with no new call; maxAge=0 refetches; 20 concurrent look-ups of a new handle make one call', async () => {
    const before = checks();
    const first = await get('/v1/profiles/user_1000');
    expect(first.statusCode, first.body).toBe(200);
    const stats = profileStatsOnDay('user_1000', 0);
    expect(first.json<ProfileView>()).toMatchObject({ username: 'user_1000', source: 'upstream', privateAccount: false, stats: { followers: stats.followerCount } });
    expect(checks()).toBe(before + 1);

    const second = await get('/v1/profiles/@USER_1000');
    expect(second.json<ProfileView>()).toMatchObject({ source: 'cache', fetchedAt: first.json<ProfileView>().fetchedAt });
    expect(checks()).toBe(before + 1);

    const forced = await get('/v1/profiles/user_1000?maxAge=0');
    expect(forced.json<ProfileView>().source).toBe('upstream');
    expect(checks()).toBe(before + 2);

    const together = await Promise.all(Array.from({ length: 20 }, () => get('/v1/profiles/user_777')));
    expect(together.map((response) => response.statusCode)).toEqual(together.map(() => 200));
    expect(checks()).toBe(before + 3);
    expect(together.filter((response) => response.json<ProfileView>().source === 'upstream')).toHaveLength(1);
  });

  it('a missing user is a 404 not_found_on_tiktok; a private account is flagged; a bad handle names the field', async () => {
    const missing = await get('/v1/profiles/nobody_here');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'not_found_on_tiktok' } });
    const hidden = await get('/v1/profiles/private_50');
    expect(hidden.json<ProfileView>()).toMatchObject({ privateAccount: true });
    const bad = await get('/v1/profiles/a%20b');
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ error: { fields: Record<string, string> } }>().error.fields).toHaveProperty('username');
  });

  it('a profile schedule over 3 sandbox days records 3 snapshots with growing counts', async () => {
    const schedule = await world.api.app.inject({
      method: 'POST',
      url: '/v1/schedules',
      headers: world.api.auth,
      payload: { name: 'daily profile', cron: '0 6 * * *', timezone: 'UTC', crawl: { kind: 'profile', target: { username: 'user_2000' } } },
    });
    expect(schedule.statusCode, schedule.body).toBe(201);
    const scheduleId = schedule.json<{ id: string }>().id;
    for (const day of [0, 1, 2]) {
      world.sandbox.configure({ day });
      // A run is identified by its second: the next day's run must fall in a later one.
      await new Promise((resolve) => setTimeout(resolve, 1_001 - (Date.now() % 1_000)));
      const run = await world.api.app.inject({ method: 'POST', url: `/v1/schedules/${scheduleId}/run`, headers: world.api.auth });
      expect(run.statusCode, run.body).toBe(201);
      const crawlId = run.json<{ crawl?: { id: string }; crawlId?: string }>().crawl?.id ?? run.json<{ crawlId?: string }>().crawlId ?? '';
      await waitFor(async () => (await get(`/v1/crawls/${crawlId}`)).json<{ status: string }>().status === 'completed', { timeoutMs: 10_000 });
    }
    world.sandbox.configure({ day: 0 });
    const history = await get('/v1/profiles/user_2000/history');
    expect(history.statusCode, history.body).toBe(200);
    const points = history.json<{ points: Array<{ followers: number; following: number; likes: number; crawlId: string | null }> }>().points;
    expect(points).toHaveLength(3);
    expect(points.map((point) => point.followers)).toEqual([0, 1, 2].map((day) => profileStatsOnDay('user_2000', day).followerCount));
    expect(points[0]?.followers).toBeLessThan(points[2]?.followers ?? 0);
    expect(points[0]?.likes).toBeLessThan(points[2]?.likes ?? 0);
    expect(points.every((point) => point.crawlId !== null)).toBe(true);

    const csv = await world.api.app.inject({ method: 'GET', url: '/v1/profiles/user_2000/history', headers: { ...world.api.auth, accept: 'text/csv' } });
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body.trim().split('\r\n')).toHaveLength(4);
    const ndjson = await get('/v1/profiles/user_2000/history?format=ndjson');
    expect(ndjson.body.trim().split('\n').map((line) => (JSON.parse(line) as { followers: number }).followers)).toEqual(points.map((point) => point.followers));
    const badRange = await get('/v1/profiles/user_2000/history?from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z');
    expect(badRange.statusCode).toBe(400);
  });

  it("a user_posts crawl stores the user's videos with snapshots; a hashtag crawl snapshots its videos; look-ups and history per video", async () => {
    const created = await world.api.app.inject({ method: 'POST', url: '/v1/crawls', headers: world.api.auth, payload: { kind: 'user_posts', target: { username: 'user_300' } } });
    expect(created.statusCode, created.body).toBe(202);
    const crawlId = created.json<{ id: string }>().id;
    const done = await waitFor(
      async () => {
        const crawl = (await get(`/v1/crawls/${crawlId}`)).json<{ status: string; items: number }>();
        return crawl.status === 'completed' ? crawl : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(done.items).toBeGreaterThan(0);
    const items = (await get(`/v1/crawls/${crawlId}/items?limit=5`)).json<{ items: Array<{ id: string }> }>().items;
    const videoId = items[0]?.id ?? '';

    const history = (await get(`/v1/videos/${videoId}/history`)).json<{ points: Array<{ plays: number; crawlId: string | null }> }>().points;
    expect(history).toEqual([expect.objectContaining({ crawlId })]);

    const looked = await get(`/v1/videos/${videoId}`);
    expect(looked.statusCode, looked.body).toBe(200);
    expect(looked.json()).toMatchObject({ id: videoId, source: 'upstream' });
    expect((await get(`/v1/videos/${videoId}`)).json()).toMatchObject({ source: 'cache' });
    expect((await get(`/v1/videos/${videoId}/history`)).json<{ points: unknown[] }>().points).toHaveLength(2);
    expect((await get('/v1/videos/999999999999999999')).statusCode).toBe(404);
    expect((await get('/v1/videos/not-digits')).statusCode).toBe(400);

    const hashtag = await world.api.app.inject({ method: 'POST', url: '/v1/crawls', headers: world.api.auth, payload: { kind: 'hashtag', target: { name: 'tag_40' } } });
    const hashtagId = hashtag.json<{ id: string }>().id;
    await waitFor(async () => (await get(`/v1/crawls/${hashtagId}`)).json<{ status: string }>().status === 'completed', { timeoutMs: 10_000 });
    const snapshots = await world.api.db.pool.query<{ count: string }>('select count(*)::text as count from video_snapshots where crawl_id = $1', [hashtagId]);
    const crawled = (await get(`/v1/crawls/${hashtagId}`)).json<{ items: number }>().items;
    expect(Number(snapshots.rows[0]?.count)).toBe(crawled);
  });
});

describe('look-ups go through the fleet quota: a 503 with Retry-After, never a 429 storm', () => {
  let world: OperatorWorld;
  beforeAll(async () => {
    world = await startOperatorWorld({ api: { TIKAPI_REQUESTS_PER_SECOND: '2' } });
  }, 30_000);
  afterAll(async () => {
    await world.close();
  }, 30_000);

  it('a burst of look-ups of distinct handles beyond the quota answers 503 with Retry-After for the rest, and the sandbox sees no 429', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, index) => world.api.app.inject({ method: 'GET', url: `/v1/profiles/user_${index + 10}`, headers: world.api.auth })));
    const statuses = answers.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThan(0);
    const refused = answers.filter((response) => response.statusCode === 503);
    expect(refused.length).toBeGreaterThan(0);
    for (const response of refused) expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(statuses.every((status) => status === 200 || status === 503)).toBe(true);
    const byStatus = world.sandbox.stats().requests.byEndpoint['GET /public/check']?.byStatus ?? {};
    expect(byStatus['429'] ?? 0).toBe(0);
  });
});
