import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';

const crawl = (maxItems: number) => ({ kind: 'hashtag', target: { name: 'cats' }, maxItems });
const schedule = (maxItems: number) => ({ name: 'ceiling', cron: '0 3 * * *', timezone: 'UTC', crawl: crawl(maxItems) });

describe('CRAWL_MAX_ITEMS_LIMIT', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ CRAWL_MAX_ITEMS_LIMIT: '5000' });
  });
  afterAll(async () => {
    await api.close();
  });

  const send = (method: 'POST' | 'PATCH', url: string, payload: object) => api.app.inject({ method, url, headers: api.auth, payload });

  it('refuses a crawl above the ceiling naming maxItems, and accepts one at it', async () => {
    const refused = await send('POST', '/v1/crawls', crawl(5001));
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({ error: { code: 'invalid_input', message: expect.any(String), fields: { maxItems: expect.stringMatching(/5000.*CRAWL_MAX_ITEMS_LIMIT/) } } });
    expect((await send('POST', '/v1/crawls', crawl(5000))).statusCode).toBe(202);
  });

  it("refuses a schedule's crawl above the ceiling naming crawl.maxItems, on POST and PATCH", async () => {
    const refused = await send('POST', '/v1/schedules', schedule(5001));
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.fields).toEqual({ 'crawl.maxItems': expect.stringMatching(/5000/) });
    const created = await send('POST', '/v1/schedules', schedule(5000));
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    const patched = await send('PATCH', `/v1/schedules/${id}`, { crawl: crawl(10_000) });
    expect(patched.statusCode).toBe(400);
    expect(patched.json().error.fields).toEqual({ 'crawl.maxItems': expect.stringMatching(/5000/) });
    expect((await send('PATCH', `/v1/schedules/${id}`, { crawl: crawl(10) })).statusCode).toBe(200);
  });

  it("states this server's ceiling in the OpenAPI document", async () => {
    const document = await api.app.inject({ method: 'GET', url: '/docs/json' });
    expect(document.statusCode).toBe(200);
    const text = document.body;
    expect(text).toContain('maxItems may be at most 5000 on this server');
    expect(text).toContain('crawl.maxItems may be at most 5000');
    expect(text).toContain('every 60 s (MIN_SCHEDULE_INTERVAL_S)');
  });
});
