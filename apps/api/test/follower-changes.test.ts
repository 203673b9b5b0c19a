import { insertCrawl } from '@pubcrawl/db';
import type { CrawlChangeItemResponse, CrawlChangesResponse, CrawlResponse } from '@pubcrawl/contracts';
import { followerChanges, followersOnDay, type RunningSandbox } from '@pubcrawl/sandbox';
import { testSandbox, waitFor } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiWorkers, startTestApi, type ApiWorkers, type TestApi } from './harness';

/** Deliveries are only recorded: no webhook worker runs, so each crawl.completed body can be read back. */
const WEBHOOK_URL = 'http://127.0.0.1:9/hooks';

describe('/v1/crawls/:id/changes', () => {
  let api: TestApi;
  let sandbox: RunningSandbox;
  let workers: ApiWorkers;

  beforeAll(async () => {
    api = await startTestApi({ WEBHOOK_URL });
    sandbox = await testSandbox({ quotaPerSecond: 0 });
    workers = startApiWorkers(api, sandbox, ['crawl-followers'], {
      WEBHOOK_URL,
      WEBHOOK_SECRET: 'follower-changes-secret-0123456789',
      TIKAPI_REQUESTS_PER_SECOND: '100000',
    });
  });
  afterAll(async () => {
    await workers?.stop();
    await sandbox?.close();
    await api?.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) => api.app.inject({ method: 'GET', url, headers: { ...api.auth, ...headers } });

  /** A followers crawl run to completion on sandbox day `day`. */
  async function crawlOnDay(username: string, day: number, limits: { maxItems?: number } = {}): Promise<CrawlResponse> {
    sandbox.configure({ day });
    const created = await api.app.inject({ method: 'POST', url: '/v1/crawls', headers: api.auth, payload: { kind: 'followers', target: { username }, ...limits } });
    expect(created.statusCode, created.body).toBe(202);
    const id = created.json<CrawlResponse>().id;
    const read = async () => (await get(`/v1/crawls/${id}`)).json<CrawlResponse>();
    return waitFor(
      async () => {
        const crawl = await read();
        return crawl.status === 'completed' || crawl.status === 'failed' ? crawl : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, describe: read },
    );
  }

  async function changes(id: string): Promise<CrawlChangesResponse> {
    const response = await get(`/v1/crawls/${id}/changes`);
    expect(response.statusCode, response.body).toBe(200);
    return response.json<CrawlChangesResponse>();
  }

  /** Every page of `type`, `limit` at a time, following nextCursor to the end. */
  async function allItems(id: string, type: 'gained' | 'lost', limit: number): Promise<CrawlChangeItemResponse[]> {
    const items: CrawlChangeItemResponse[] = [];
    let cursor: string | null = null;
    do {
      const response = await get(`/v1/crawls/${id}/changes/items?type=${type}&limit=${limit}${cursor === null ? '' : `&cursor=${cursor}`}`);
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json<{ items: CrawlChangeItemResponse[]; nextCursor: string | null }>();
      expect(page.items.length).toBeLessThanOrEqual(limit);
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return items;
  }

  async function completedEvent(crawlId: string): Promise<{ id: string; changes?: unknown }> {
    const result = await api.db.pool.query<{ body: string }>("select body from webhook_deliveries where event_key = 'crawl.completed' and body::jsonb -> 'data' ->> 'id' = $1", [crawlId]);
    expect(result.rows).toHaveLength(1);
    return (JSON.parse(result.rows[0]?.body ?? '{}') as { data: { id: string; changes?: unknown } }).data;
  }

  const ids = (users: ReadonlyArray<{ user: { id: string } }>) => users.map((entry) => entry.user.id);

  describe('two complete crawls a sandbox day apart', () => {
    const target = 'user_1000';
    const expected = followerChanges(target, 0, 1);
    let first: CrawlResponse;
    let second: CrawlResponse;

    beforeAll(async () => {
      first = await crawlOnDay(target, 0);
      second = await crawlOnDay(target, 1);
    });

    it('has no baseline for the first crawl of a target, and says so', async () => {
      expect(first).toMatchObject({ status: 'completed', finishReason: 'exhausted' });
      expect(await changes(first.id)).toEqual({ crawlId: first.id, previousCrawlId: null, gained: null, lost: null, truncated: false });
      const items = await get(`/v1/crawls/${first.id}/changes/items?type=gained`);
      expect(items.statusCode).toBe(409);
      expect(items.json().error.fields).toHaveProperty('id');
      // No previous crawl, nothing to say: the webhook is the crawl alone.
      expect(await completedEvent(first.id)).not.toHaveProperty('changes');
    });

    it('counts exactly the followers the sandbox churn gained and lost, and the webhook carries the counts', async () => {
      expect(second).toMatchObject({ status: 'completed', finishReason: 'exhausted' });
      // user_1000 on day 1: slots 9, 109, …, 909 left and 1000 … 1019 joined.
      expect([expected.gained.length, expected.lost.length]).toEqual([20, 10]);
      const counts = { previousCrawlId: first.id, gained: expected.gained.length, lost: expected.lost.length, truncated: false };
      expect(await changes(second.id)).toEqual({ crawlId: second.id, ...counts });
      expect((await completedEvent(second.id)).changes).toEqual(counts);
    });

    it('pages the gained and lost followers, exactly those the sandbox names, with their stored fields', async () => {
      const gained = await allItems(second.id, 'gained', 7);
      const lost = await allItems(second.id, 'lost', 3);
      expect(new Set(gained.map((item) => item.id))).toEqual(new Set(ids(expected.gained)));
      expect(new Set(lost.map((item) => item.id))).toEqual(new Set(ids(expected.lost)));
      expect(gained).toHaveLength(expected.gained.length);
      expect(lost).toHaveLength(expected.lost.length);
      // Each in the order and at the position of the crawl it is in: gained in this one, lost in the previous.
      const day1 = ids(followersOnDay(target, 1));
      const day0 = ids(followersOnDay(target, 0));
      expect(gained.map((item) => item.position)).toEqual(gained.map((item) => day1.indexOf(item.id)));
      expect(lost.map((item) => item.position)).toEqual(lost.map((item) => day0.indexOf(item.id)));
      const firstGained = expected.gained[0]?.user;
      expect(gained[0]).toEqual({ position: day1.indexOf(firstGained?.id ?? ''), id: firstGained?.id, uniqueId: firstGained?.uniqueId, nickname: firstGained?.nickname, secUid: firstGained?.secUid });
    });

    it('exports the changed followers as NDJSON and CSV, by Accept header or ?format', async () => {
      const ndjson = await get(`/v1/crawls/${second.id}/changes/items?type=gained`, { accept: 'application/x-ndjson' });
      expect(ndjson.statusCode).toBe(200);
      expect(ndjson.headers['content-type']).toContain('application/x-ndjson');
      const lines = ndjson.body.trimEnd().split('\n').map((line) => JSON.parse(line) as CrawlChangeItemResponse);
      expect(lines.map((line) => line.id)).toEqual((await allItems(second.id, 'gained', 100)).map((item) => item.id));

      const csv = await get(`/v1/crawls/${second.id}/changes/items?type=lost&format=csv`);
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toContain('text/csv');
      expect(csv.headers['content-disposition']).toContain(`crawl-${second.id}-lost.csv`);
      const rows = csv.body.trimEnd().split('\r\n');
      expect(rows[0]).toBe('position,id,unique_id,nickname,sec_uid');
      expect(new Set(rows.slice(1).map((row) => row.split(',')[1]))).toEqual(new Set(ids(expected.lost)));
    });
  });

  describe('a crawl that stopped early', () => {
    it('on the newer side: truncated, lost unknown (null, and a 409 for its items), gained still counted', async () => {
      const target = 'user_500';
      const previous = await crawlOnDay(target, 0);
      const limited = await crawlOnDay(target, 1, { maxItems: 300 });
      expect(limited).toMatchObject({ status: 'completed', finishReason: 'max_items', items: 300 });
      const day0 = new Set(ids(followersOnDay(target, 0)));
      const gainedIds = ids(followersOnDay(target, 1).slice(0, 300)).filter((id) => !day0.has(id));

      const counts = await changes(limited.id);
      expect(counts).toEqual({ crawlId: limited.id, previousCrawlId: previous.id, gained: gainedIds.length, lost: null, truncated: true });
      expect((await completedEvent(limited.id)).changes).toEqual({ previousCrawlId: previous.id, gained: gainedIds.length, lost: null, truncated: true });
      expect((await allItems(limited.id, 'gained', 50)).map((item) => item.id)).toEqual(gainedIds);

      const lost = await get(`/v1/crawls/${limited.id}/changes/items?type=lost`);
      expect(lost.statusCode).toBe(409);
      expect(lost.json().error).toMatchObject({ code: 'conflict', fields: { type: expect.any(String) } });
      expect((await get(`/v1/crawls/${limited.id}/changes/items?type=lost&format=csv`)).statusCode).toBe(409);
    });

    it('on the older side: truncated too, and every follower the short list never reached counts as gained', async () => {
      const target = 'user_300';
      const previous = await crawlOnDay(target, 0, { maxItems: 100 });
      const full = await crawlOnDay(target, 1);
      expect(previous.finishReason).toBe('max_items');
      const seen = new Set(ids(followersOnDay(target, 0).slice(0, 100)));
      const gainedIds = ids(followersOnDay(target, 1)).filter((id) => !seen.has(id));
      expect(await changes(full.id)).toEqual({ crawlId: full.id, previousCrawlId: previous.id, gained: gainedIds.length, lost: null, truncated: true });
      expect(new Set((await allItems(full.id, 'gained', 1000)).map((item) => item.id))).toEqual(new Set(gainedIds));
      expect((await get(`/v1/crawls/${full.id}/changes/items?type=lost`)).statusCode).toBe(409);
    });
  });

  describe('bad requests', () => {
    let completed: CrawlResponse;
    let later: CrawlResponse;
    beforeAll(async () => {
      completed = await crawlOnDay('user_40', 0);
      later = await crawlOnDay('user_40', 1);
    });

    it('400s a malformed id, a missing or unknown type and a forged cursor, naming the field', async () => {
      const cases: Array<[string, string]> = [
        ['/v1/crawls/not-a-uuid/changes', 'id'],
        ['/v1/crawls/not-a-uuid/changes/items?type=gained', 'id'],
        [`/v1/crawls/${completed.id}/changes/items`, 'type'],
        [`/v1/crawls/${completed.id}/changes/items?type=followed`, 'type'],
        [`/v1/crawls/${completed.id}/changes/items?type=gained&limit=0`, 'limit'],
        [`/v1/crawls/${completed.id}/changes/items?type=gained&format=xml`, 'format'],
      ];
      for (const [url, field] of cases) {
        const response = await get(url);
        expect(response.statusCode, url).toBe(400);
        expect(Object.keys(response.json().error.fields ?? {}), url).toContain(field);
      }
      const forged = await get(`/v1/crawls/${later.id}/changes/items?type=gained&cursor=garbage`);
      expect(forged.statusCode).toBe(400);
      expect(forged.json().error.fields).toHaveProperty('cursor');
    });

    it('404s an unknown crawl', async () => {
      for (const path of ['changes', 'changes/items?type=gained']) {
        expect((await get(`/v1/crawls/6f1c2b8e-0000-4000-8000-000000000000/${path}`)).statusCode).toBe(404);
      }
    });

    it('409s a crawl that is not a completed followers crawl, naming id', async () => {
      const hashtag = await api.app.inject({ method: 'POST', url: '/v1/crawls', headers: api.auth, payload: { kind: 'hashtag', target: { name: 'tag_10' } } });
      // Inserted without an enqueue, so it stays queued.
      const queued = await api.db.db.transaction((tx) => insertCrawl(tx, { kind: 'followers', target: { username: 'user_40' } }));
      for (const id of [hashtag.json<CrawlResponse>().id, queued?.id ?? '']) {
        for (const path of ['changes', 'changes/items?type=gained']) {
          const response = await get(`/v1/crawls/${id}/${path}`);
          expect(response.statusCode, path).toBe(409);
          expect(response.json().error).toMatchObject({ code: 'conflict', fields: { id: expect.any(String) } });
        }
      }
    });
  });
});
