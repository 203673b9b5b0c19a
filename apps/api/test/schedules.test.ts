import { crawls, scheduleRuns, schedules } from '@pubcrawl/db';
import { crawlJobId } from '@pubcrawl/queue';
import { compileCron } from '@pubcrawl/scheduling';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { nextMillisecond } from './ordering';

const crawl = { kind: 'hashtag', target: { name: 'cats' }, maxPages: 2 } as const;
const body = (overrides: Record<string, unknown> = {}) => ({ name: 'nightly cats', cron: '0 2 * * *', timezone: 'Asia/Tokyo', crawl, ...overrides });

describe('/v1/schedules', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  const post = (payload: unknown) => api.app.inject({ method: 'POST', url: '/v1/schedules', headers: api.auth, payload: payload as object });

  it('creates a schedule with the defaults and its next run in its own time zone', async () => {
    const before = new Date();
    const response = await post(body());
    expect(response.statusCode).toBe(201);
    const created = response.json();
    expect(created).toMatchObject({ name: 'nightly cats', cron: '0 2 * * *', timezone: 'Asia/Tokyo', crawl, enabled: true, overlap: 'skip', catchUp: 'last', lastFiredAt: null });
    // 02:00 in Tokyo is 17:00 UTC the day before.
    const next = new Date(created.nextRunAt);
    expect(next.getUTCHours()).toBe(17);
    expect(next.getUTCMinutes()).toBe(0);
    expect(next.getTime()).toBeGreaterThan(before.getTime());
    expect(next.getTime() - before.getTime()).toBeLessThanOrEqual(86_400_000);
  });

  it('accepts 6 fields and stores the canonical zone name', async () => {
    const response = await post(body({ cron: '30  */2 * * * *', timezone: 'america/new_york', overlap: 'queue', catchUp: 'none', enabled: false }));
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ cron: '30 */2 * * * *', timezone: 'America/New_York', overlap: 'queue', catchUp: 'none', enabled: false, nextRunAt: null });
  });

  it('refuses a minute of 61 with invalid_input naming cron', async () => {
    const response = await post(body({ cron: '61 * * * *' }));
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'invalid_input', message: expect.any(String), fields: { cron: expect.stringMatching(/minute/) } } });
  });

  it('refuses 4 and 7 fields, nicknames and expressions that never fire, naming cron', async () => {
    for (const cron of ['* * * *', '* * * * * * *', '@daily', '0 0 30 2 *', '0 0 L-30 2 *', '']) {
      const response = await post(body({ cron }));
      expect(response.statusCode, cron).toBe(400);
      expect(response.json().error.code).toBe('invalid_input');
      expect(Object.keys(response.json().error.fields), cron).toEqual(['cron']);
    }
  });

  it('refuses an unknown time zone or an offset with invalid_input naming timezone', async () => {
    for (const timezone of ['Mars/Olympus', '+02:00', 'Not a zone']) {
      const response = await post(body({ timezone }));
      expect(response.statusCode, timezone).toBe(400);
      expect(response.json()).toEqual({ error: { code: 'invalid_input', message: expect.any(String), fields: { timezone: expect.any(String) } } });
    }
  });

  it('refuses a crawl the crawl endpoint would refuse, and an account that does not exist', async () => {
    const badCrawl = await post(body({ crawl: { kind: 'hashtag', target: {} } }));
    expect(badCrawl.statusCode).toBe(400);
    expect(Object.keys(badCrawl.json().error.fields)[0]).toMatch(/^crawl/);
    const noAccount = await post(body({ crawl: { kind: 'followers', target: { username: 'someone' }, accountId: '00000000-0000-4000-8000-000000000000' } }));
    expect(noAccount.statusCode).toBe(400);
    expect(noAccount.json().error.fields).toEqual({ 'crawl.accountId': 'no account has this id' });
  });

  it('lists schedules newest first, a page at a time', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      ids.push((await post(body({ name: `page ${index}` }))).json().id);
      await nextMillisecond();
    }
    const first = await api.app.inject({ method: 'GET', url: '/v1/schedules?limit=2', headers: api.auth });
    expect(first.statusCode).toBe(200);
    expect(first.json().items.map((item: { id: string }) => item.id)).toEqual([ids[2], ids[1]]);
    const second = await api.app.inject({ method: 'GET', url: `/v1/schedules?limit=2&cursor=${first.json().nextCursor}`, headers: api.auth });
    expect(second.json().items[0].id).toBe(ids[0]);
    const bad = await api.app.inject({ method: 'GET', url: '/v1/schedules?cursor=nonsense', headers: api.auth });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.fields).toHaveProperty('cursor');
  });

  it('gets, patches and deletes a schedule, and answers 404 once it is gone', async () => {
    const { id } = (await post(body())).json();
    const got = await api.app.inject({ method: 'GET', url: `/v1/schedules/${id}`, headers: api.auth });
    expect(got.json().id).toBe(id);

    const patched = await api.app.inject({ method: 'PATCH', url: `/v1/schedules/${id}`, headers: api.auth, payload: { cron: '30 9 * * mon', timezone: 'Europe/Paris' } });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ cron: '30 9 * * mon', timezone: 'Europe/Paris', name: 'nightly cats' });
    const next = new Date(patched.json().nextRunAt);
    expect(compileCron('30 9 * * mon', 'Europe/Paris').matches(next)).toBe(true);
    expect(new Date(patched.json().updatedAt).getTime()).toBeGreaterThan(new Date(got.json().updatedAt).getTime());

    const disabled = await api.app.inject({ method: 'PATCH', url: `/v1/schedules/${id}`, headers: api.auth, payload: { enabled: false } });
    expect(disabled.json()).toMatchObject({ enabled: false, nextRunAt: null });

    const badPatch = await api.app.inject({ method: 'PATCH', url: `/v1/schedules/${id}`, headers: api.auth, payload: { cron: '61 * * * *' } });
    expect(badPatch.statusCode).toBe(400);
    expect(badPatch.json().error.fields).toHaveProperty('cron');
    const emptyPatch = await api.app.inject({ method: 'PATCH', url: `/v1/schedules/${id}`, headers: api.auth, payload: {} });
    expect(emptyPatch.statusCode).toBe(400);

    const deleted = await api.app.inject({ method: 'DELETE', url: `/v1/schedules/${id}`, headers: api.auth });
    expect(deleted.statusCode).toBe(204);
    for (const request of [
      { method: 'GET', url: `/v1/schedules/${id}` },
      { method: 'PATCH', url: `/v1/schedules/${id}`, payload: { name: 'x' } },
      { method: 'DELETE', url: `/v1/schedules/${id}` },
      { method: 'POST', url: `/v1/schedules/${id}/run` },
      { method: 'GET', url: `/v1/schedules/${id}/runs` },
    ] as const) {
      const response = await api.app.inject({ ...request, headers: api.auth });
      expect(response.statusCode, `${request.method} ${request.url}`).toBe(404);
      expect(response.json().error.code).toBe('not_found');
    }
  });

  it('runs a schedule now: one crawl, one job, and a skipped run while that crawl is still active', async () => {
    const { id } = (await post(body())).json();
    const run = await api.app.inject({ method: 'POST', url: `/v1/schedules/${id}/run`, headers: api.auth });
    expect(run.statusCode).toBe(201);
    const started = run.json();
    expect(started).toMatchObject({ scheduleId: id, outcome: 'started', reason: 'manual run', crawl: { kind: 'hashtag', status: 'queued', scheduleId: id, fireTime: started.fireTime } });
    expect(new Date(started.fireTime).getUTCMilliseconds()).toBe(0);
    const job = await api.queues['crawl-hashtag'].getJob(crawlJobId({ id: started.crawl.id, generation: 0 }, 0));
    expect(job?.data).toEqual({ crawlId: started.crawl.id, generation: 0, segment: 0 });

    // The same second again is the same run, not a second one.
    const [claim] = await api.db.db.select().from(scheduleRuns).where(eq(scheduleRuns.scheduleId, id));
    expect(claim?.fireTime.toISOString()).toBe(started.fireTime);

    // A later second, while the first crawl is still queued: skip (the default overlap policy).
    await new Promise((resolve) => setTimeout(resolve, 1_100 - (Date.now() % 1_000)));
    const second = await api.app.inject({ method: 'POST', url: `/v1/schedules/${id}/run`, headers: api.auth });
    expect(second.statusCode).toBe(201);
    expect(second.json()).toMatchObject({ outcome: 'skipped', crawl: null, reason: expect.stringContaining(started.crawl.id) });

    const runs = await api.app.inject({ method: 'GET', url: `/v1/schedules/${id}/runs`, headers: api.auth });
    expect(runs.statusCode).toBe(200);
    expect(runs.json().items.map((item: { outcome: string }) => item.outcome)).toEqual(['skipped', 'started']);
    expect(runs.json().items[1].crawl).toMatchObject({ id: started.crawl.id, fireTime: started.fireTime });
    const crawlRows = await api.db.db.select().from(crawls).where(eq(crawls.scheduleId, id));
    expect(crawlRows).toHaveLength(1);
    // Manual runs leave last_fired_at to the cron ticks: it is what catch-up reads.
    const [row] = await api.db.db.select().from(schedules).where(eq(schedules.id, id));
    expect(row?.lastFiredAt).toBeNull();
  });

  it('answers a second run request in the same second with the existing run', async () => {
    const { id } = (await post(body())).json();
    // Stay clear of a second boundary so both requests share one.
    if (Date.now() % 1_000 > 700) await new Promise((resolve) => setTimeout(resolve, 1_050 - (Date.now() % 1_000)));
    const first = await api.app.inject({ method: 'POST', url: `/v1/schedules/${id}/run`, headers: api.auth });
    const again = await api.app.inject({ method: 'POST', url: `/v1/schedules/${id}/run`, headers: api.auth });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.json().id, crawl: { id: first.json().crawl.id } });
  });
});
