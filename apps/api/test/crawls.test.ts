import { accounts, CredentialsCipher, crawls } from '@pubcrawl/db';
import { crawlJobId, crawlQueueName } from '@pubcrawl/queue';
import type { CrawlResponse } from '@pubcrawl/contracts';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { nextMillisecond } from './ordering';

describe('/v1/crawls', () => {
  let api: TestApi;
  const cipher = new CredentialsCipher(Buffer.alloc(32, 7));

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api?.close();
  });

  const post = (payload: unknown) => api.app.inject({ method: 'POST', url: '/v1/crawls', headers: api.auth, payload: payload as object });
  const get = (url: string, headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url, headers: { ...api.auth, ...headers } });
  const create = async (payload: object): Promise<CrawlResponse> => {
    const response = await post(payload);
    expect(response.statusCode).toBe(202);
    return response.json<CrawlResponse>();
  };
  const insertAccount = async (values: { provider: 'tikapi' | 'posting'; credentials: boolean }): Promise<string> => {
    const [row] = await api.db.db
      .insert(accounts)
      .values({
        label: 'test',
        provider: values.provider,
        externalId: `ext-${Math.random()}`,
        credentialsEncrypted: values.credentials ? cipher.encrypt({ accountKey: 'acct_100' }) : null,
      })
      .returning({ id: accounts.id });
    if (row === undefined) throw new Error('no account inserted');
    return row.id;
  };

  it('accepts a followers crawl with 202 queued and enqueues its first segment', async () => {
    const crawl = await create({ kind: 'followers', target: { username: 'user_100' }, maxItems: 50 });
    expect(crawl).toMatchObject({ kind: 'followers', status: 'queued', target: { username: 'user_100' }, pages: 0, items: 0, maxItems: 50, cursor: null, error: null });
    const job = await api.queues[crawlQueueName('followers')].getJob(crawlJobId({ id: crawl.id, generation: 0 }, 0));
    expect(job?.data).toEqual({ crawlId: crawl.id, generation: 0, segment: 0 });
  });

  it('accepts a hashtag crawl by id and treats the id as already resolved', async () => {
    const crawl = await create({ kind: 'hashtag', target: { id: '12345' }, maxPages: 3 });
    expect(crawl).toMatchObject({ kind: 'hashtag', status: 'queued', resolvedId: '12345', maxPages: 3 });
  });

  it('accepts an authenticated followers crawl for a TikAPI account with a key', async () => {
    const accountId = await insertAccount({ provider: 'tikapi', credentials: true });
    const crawl = await create({ kind: 'followers', target: { secUid: 'MS4wLjABAAAA' }, accountId });
    expect(crawl).toMatchObject({ accountId, resolvedId: 'MS4wLjABAAAA' });
  });

  it('refuses an accountId that is unknown, not TikAPI, or has no key, naming the field', async () => {
    const posting = await insertAccount({ provider: 'posting', credentials: true });
    const keyless = await insertAccount({ provider: 'tikapi', credentials: false });
    for (const accountId of ['6f1c2b8e-0000-4000-8000-000000000000', posting, keyless]) {
      const response = await post({ kind: 'followers', target: { username: 'user_1' }, accountId });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'invalid_input', fields: { accountId: expect.any(String) } } });
    }
  });

  it('refuses malformed bodies with the offending field', async () => {
    const cases: Array<[object, string]> = [
      [{ kind: 'hashtag', target: { name: 'x' }, accountId: '6f1c2b8e-0000-4000-8000-000000000000' }, 'body'],
      [{ kind: 'followers', target: { name: 'x' } }, 'target'],
      [{ kind: 'followers', target: { username: 'x' }, maxItems: 0 }, 'maxItems'],
      [{ kind: 'nope', target: { username: 'x' } }, 'kind'],
    ];
    for (const [payload, field] of cases) {
      const response = await post(payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(Object.keys(response.json().error.fields ?? {}).join(',')).toContain(field);
    }
  });

  it('shows one crawl, 404s an unknown one, 400s a malformed id', async () => {
    const crawl = await create({ kind: 'hashtag', target: { name: 'tag_10' } });
    expect((await get(`/v1/crawls/${crawl.id}`)).json()).toMatchObject({ id: crawl.id, status: 'queued' });
    expect((await get('/v1/crawls/6f1c2b8e-0000-4000-8000-000000000000')).statusCode).toBe(404);
    expect((await get('/v1/crawls/not-a-uuid')).statusCode).toBe(400);
  });

  it('lists crawls newest first with keyset pages and a status filter', async () => {
    const created = [];
    for (let index = 0; index < 3; index += 1) {
      created.push(await create({ kind: 'hashtag', target: { name: `tag_${index + 1}` } }));
      await nextMillisecond();
    }
    await api.db.db.update(crawls).set({ status: 'failed' }).where(eq(crawls.id, created[1]?.id ?? ''));

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await get(`/v1/crawls?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(response.statusCode).toBe(200);
      const page = response.json<{ items: CrawlResponse[]; nextCursor: string | null }>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.indexOf(created[2]?.id ?? '')).toBeLessThan(seen.indexOf(created[0]?.id ?? ''));

    const failed = (await get('/v1/crawls?status=failed')).json<{ items: CrawlResponse[] }>();
    expect(failed.items.map((item) => item.id)).toEqual([created[1]?.id]);
    expect((await get('/v1/crawls?cursor=garbage')).statusCode).toBe(400);
    expect((await get('/v1/crawls?status=sleeping')).statusCode).toBe(400);
  });

  it('cancels a queued crawl once, removing its waiting job', async () => {
    const crawl = await create({ kind: 'followers', target: { username: 'user_10' } });
    const cancel = () => api.app.inject({ method: 'POST', url: `/v1/crawls/${crawl.id}/cancel`, headers: api.auth });
    const first = await cancel();
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ status: 'cancelled', finishedAt: expect.any(String) });
    expect(await api.queues[crawlQueueName('followers')].getJob(crawlJobId({ id: crawl.id, generation: 0 }, 0))).toBeUndefined();
    const second = await cancel();
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('conflict');
  });

  it('resumes a failed crawl from its checkpoint under a new generation', async () => {
    const crawl = await create({ kind: 'followers', target: { username: 'user_1000' } });
    const resume = () => api.app.inject({ method: 'POST', url: `/v1/crawls/${crawl.id}/resume`, headers: api.auth });
    expect((await resume()).statusCode).toBe(409);

    await api.db.db.execute(sql`update crawl_checkpoints set pages = 7, items = 210, cursor = 'c7' where crawl_id = ${crawl.id}`);
    await api.db.db.update(crawls).set({ status: 'failed', pages: 7, items: 210, errorCode: '10101', errorMessage: 'boom', finishedAt: new Date() }).where(eq(crawls.id, crawl.id));
    const response = await resume();
    expect(response.statusCode).toBe(202);
    expect(response.json()).toMatchObject({ status: 'queued', pages: 7, items: 210, cursor: 'c7', error: null, finishedAt: null });
    const job = await api.queues[crawlQueueName('followers')].getJob(crawlJobId({ id: crawl.id, generation: 1 }, 7));
    expect(job?.data).toEqual({ crawlId: crawl.id, generation: 1, segment: 7 });
  });

  describe('items', () => {
    let crawl: CrawlResponse;
    beforeAll(async () => {
      crawl = await create({ kind: 'followers', target: { username: 'user_5' } });
      // Five stored users, one with a nickname a spreadsheet would run as a formula.
      await api.db.db.execute(sql`
        insert into tiktok_users (id, unique_id, nickname, sec_uid, follower_count, raw)
        select 'item-' || g, 'fan_' || g, case when g = 3 then '=HYPERLINK("x")' else 'Fan, ' || g end, 'sec' || g, g * 10,
               jsonb_build_object('user', jsonb_build_object('id', 'item-' || g, 'uniqueId', 'fan_' || g))
          from generate_series(0, 4) g`);
      await api.db.db.execute(sql`insert into crawl_items (crawl_id, item_id, position) select ${crawl.id}::uuid, 'item-' || g, g from generate_series(0, 4) g`);
    });

    it('pages the stored objects in upstream order with an opaque cursor', async () => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const response = await get(`/v1/crawls/${crawl.id}/items?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`);
        expect(response.statusCode).toBe(200);
        const page = response.json<{ items: Array<{ position: number; id: string; item: { user: { id: string } } }>; nextCursor: string | null }>();
        for (const item of page.items) {
          expect(item.item.user.id).toBe(item.id);
          ids.push(item.id);
        }
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(ids).toEqual(['item-0', 'item-1', 'item-2', 'item-3', 'item-4']);
      expect((await get(`/v1/crawls/${crawl.id}/items?cursor=bm9wZQ`)).statusCode).toBe(400);
      expect((await get('/v1/crawls/6f1c2b8e-0000-4000-8000-000000000000/items')).statusCode).toBe(404);
    });

    it('streams every item as NDJSON when asked by Accept header or format', async () => {
      for (const [url, headers] of [
        [`/v1/crawls/${crawl.id}/items`, { accept: 'application/x-ndjson' }],
        [`/v1/crawls/${crawl.id}/items?format=ndjson&limit=1`, {}],
      ] as const) {
        const response = await get(url, headers);
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toContain('application/x-ndjson');
        const lines = response.body.trim().split('\n').map((line) => JSON.parse(line) as { position: number; id: string; item: unknown });
        expect(lines.map((line) => line.position)).toEqual([0, 1, 2, 3, 4]);
        expect(lines[2]).toEqual({ position: 2, id: 'item-2', item: { user: { id: 'item-2', uniqueId: 'fan_2' } } });
      }
    });

    it('streams CSV with quoting and formula cells neutralised', async () => {
      const response = await get(`/v1/crawls/${crawl.id}/items?format=csv`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/csv');
      const lines = response.body.split('\r\n');
      expect(lines[0]).toBe('position,id,unique_id,nickname,sec_uid,follower_count');
      expect(lines[1]).toBe('0,item-0,fan_0,"Fan, 0",sec0,0');
      expect(lines[4]).toBe(`3,item-3,fan_3,"'=HYPERLINK(""x"")",sec3,30`);
      expect(lines).toHaveLength(7);
    });
  });
});
