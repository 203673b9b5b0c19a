import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { createAccount } from './publishing-fixtures';

const opaque = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const id = '3f0c6a52-7d1e-4b8e-9a4f-2c5d6e7f8a9b';

/** Five ways to forge a cursor; each list endpoint must refuse every one with 400 naming cursor. */
const FORGED: Record<string, string> = {
  'garbage base64': opaque('\u0000not json at all'),
  'a non-UUID id': opaque({ t: '2026-05-01T12:00:00.000Z', i: "x' or 1=1 --" }),
  'a date out of range': opaque({ t: '+275760-09-13T00:00:00.000Z', i: id }),
  'a huge position': opaque('p:99999999999'),
  'the wrong JSON shape': opaque({ createdAt: '2026-05-01T12:00:00.000Z', id }),
};

describe('list endpoints with a forged ?cursor=', () => {
  let api: TestApi;
  const endpoints: string[] = [];
  beforeAll(async () => {
    api = await startTestApi();
    await createAccount(api);
    const crawl = await api.app.inject({ method: 'POST', url: '/v1/crawls', headers: api.auth, payload: { kind: 'hashtag', target: { name: 'cats' }, maxPages: 1 } });
    const schedule = await api.app.inject({
      method: 'POST',
      url: '/v1/schedules',
      headers: api.auth,
      payload: { name: 'cursors', cron: '0 3 * * *', timezone: 'UTC', crawl: { kind: 'hashtag', target: { name: 'cats' } } },
    });
    endpoints.push(
      '/v1/posts',
      '/v1/accounts',
      '/v1/crawls',
      '/v1/schedules',
      `/v1/schedules/${schedule.json<{ id: string }>().id}/runs`,
      `/v1/crawls/${crawl.json<{ id: string }>().id}/items`,
    );
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers 400 naming cursor for every forgery on every list endpoint, never 500', async () => {
    expect(endpoints).toHaveLength(6);
    for (const url of endpoints) {
      expect((await api.app.inject({ method: 'GET', url, headers: api.auth })).statusCode, url).toBe(200);
      for (const [forgery, cursor] of Object.entries(FORGED)) {
        const response = await api.app.inject({ method: 'GET', url: `${url}?cursor=${cursor}`, headers: api.auth });
        expect(response.statusCode, `${url} with ${forgery}`).toBe(400);
        expect(response.json(), `${url} with ${forgery}`).toMatchObject({ error: { code: 'invalid_input', fields: { cursor: expect.any(String) } } });
      }
    }
  });

  it('still follows the cursors the API hands out, to the last page', async () => {
    for (let index = 0; index < 2; index += 1) await createAccount(api, { externalId: `cursor-${index}` });
    const seen: string[] = [];
    let url = '/v1/accounts?limit=1';
    for (;;) {
      const response = await api.app.inject({ method: 'GET', url, headers: api.auth });
      expect(response.statusCode).toBe(200);
      const page = response.json<{ items: Array<{ id: string }>; nextCursor: string | null }>();
      seen.push(...page.items.map((item) => item.id));
      if (page.nextCursor === null) break;
      url = `/v1/accounts?limit=1&cursor=${page.nextCursor}`;
    }
    expect(seen).toHaveLength(3);
  });
});
