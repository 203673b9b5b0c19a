import { schedules } from '@pubcrawl/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';

const crawl = { kind: 'hashtag', target: { name: 'cats' }, maxPages: 1 } as const;
const body = (cron: string) => ({ name: 'hardening', cron, timezone: 'UTC', crawl });

function expectCronRefused(response: { statusCode: number; json(): unknown }, pattern: RegExp = /./): void {
  expect(response.statusCode).toBe(400);
  expect(response.json()).toEqual({ error: { code: 'invalid_input', message: expect.any(String), fields: { cron: expect.stringMatching(pattern) } } });
}

describe('cron expressions on /v1/schedules, at the default MIN_SCHEDULE_INTERVAL_S', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  const post = (payload: unknown) => api.app.inject({ method: 'POST', url: '/v1/schedules', headers: api.auth, payload: payload as object });
  const patch = (id: string, payload: unknown) => api.app.inject({ method: 'PATCH', url: `/v1/schedules/${id}`, headers: api.auth, payload: payload as object });

  it('refuses the range that used to kill the process, naming cron, and keeps serving', async () => {
    expectCronRefused(await post(body('0-200000000 * * * *')), /minute.*out of range/);
    const list = await api.app.inject({ method: 'GET', url: '/v1/schedules', headers: api.auth });
    expect(list.statusCode).toBe(200);
  });

  it('refuses a range big enough to stall the event loop in under 100 ms', async () => {
    const started = performance.now();
    expectCronRefused(await post(body('0-20000000 * * * *')));
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('refuses out-of-range numbers and over-long expressions, naming cron', async () => {
    for (const cron of ['0 24 * * *', '0 0 0 * *', '0 0 * 13 *', '0 0 * * 8', '60 * * * * *', '*/61 * * * *']) expectCronRefused(await post(body(cron)), /out of range/);
    expectCronRefused(await post(body(`0 0 * * ${'1,'.repeat(60)}1`)));
    expectCronRefused(await post(body(`0${' '.repeat(300)}0 * * *`)));
  });

  it('refuses every second and accepts every five minutes, saying how to lower the floor', async () => {
    expectCronRefused(await post(body('* * * * * *')), /at least 60 s.*MIN_SCHEDULE_INTERVAL_S/);
    expectCronRefused(await post(body('*/30 * * * * *')), /30 s apart/);
    const accepted = await post(body('*/5 * * * *'));
    expect(accepted.statusCode).toBe(201);
    expect(accepted.json()).toMatchObject({ cron: '*/5 * * * *' });
  });

  it('holds PATCH to the same checks', async () => {
    const created = await post(body('0 3 * * *'));
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    expectCronRefused(await patch(id, { cron: '0-200000000 * * * *' }));
    expectCronRefused(await patch(id, { cron: '* * * * * *' }), /MIN_SCHEDULE_INTERVAL_S/);
    expect((await patch(id, { cron: '*/5 * * * *' })).statusCode).toBe(200);
  });

  it('answers 400 naming cron, not 500, for a stored expression from before the lexer', async () => {
    const [row] = await api.db.db.insert(schedules).values({ name: 'legacy', cron: '0-200000000 * * * *', timezone: 'UTC', crawlSpec: crawl }).returning();
    if (!row) throw new Error('no row');
    const got = await api.app.inject({ method: 'GET', url: `/v1/schedules/${row.id}`, headers: api.auth });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ cron: '0-200000000 * * * *', nextRunAt: null });
    expectCronRefused(await patch(row.id, { name: 'renamed' }), /send a new cron/);
    expect((await patch(row.id, { cron: '0 4 * * *' })).statusCode).toBe(200);
  });
});

describe('cron expressions on /v1/schedules with MIN_SCHEDULE_INTERVAL_S=1', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ MIN_SCHEDULE_INTERVAL_S: '1' });
  });
  afterAll(async () => {
    await api.close();
  });

  it('accepts a schedule that fires every second', async () => {
    const response = await api.app.inject({ method: 'POST', url: '/v1/schedules', headers: api.auth, payload: body('* * * * * *') });
    expect(response.statusCode).toBe(201);
  });
});
