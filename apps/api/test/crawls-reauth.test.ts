import { accounts, crawlItems, findCrawl } from '@pubcrawl/db';
import type { RunningSandbox } from '@pubcrawl/sandbox';
import type { CrawlResponse } from '@pubcrawl/contracts';
import { testSandbox, waitFor } from '@pubcrawl/testing';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiWorkers, startTestApi, type ApiWorkers, type TestApi } from './harness';
import { upstreamFollowerIds } from './upstream';

/** Shared by the API (which encrypts the account key) and the worker (which decrypts it). */
const CREDENTIALS_KEY = Buffer.alloc(32, 3).toString('hex');
const ACCOUNT_KEY = 'acct_crawler';
const TARGET = 'user_6000';

describe('an authenticated crawl whose account session expires mid-crawl', () => {
  let api: TestApi;
  let sandbox: RunningSandbox;
  let workers: ApiWorkers;

  beforeAll(async () => {
    api = await startTestApi({ CREDENTIALS_KEY });
    // A little latency so the crawl is still running when the session expires.
    sandbox = await testSandbox({ quotaPerSecond: 0, latencyMs: 5 });
    workers = startApiWorkers(api, sandbox, ['crawl-followers'], {
      CREDENTIALS_KEY,
      POSTING_API_KEY: 'test-tikapi-key',
      TIKAPI_REQUESTS_PER_SECOND: '100000',
    });
  });
  afterAll(async () => {
    await workers?.stop();
    await sandbox?.close();
    await api?.close();
  });

  it('parks as reauth_required, and after reauthorization completes with no gap and no duplicate', async () => {
    const registered = await api.app.inject({
      method: 'POST',
      url: '/v1/accounts',
      headers: api.auth,
      payload: { label: 'crawler', provider: 'tikapi', externalId: 'crawler', credentials: { accountKey: ACCOUNT_KEY } },
    });
    expect(registered.statusCode).toBe(201);
    const account = registered.json<{ id: string }>();

    const created = await api.app.inject({ method: 'POST', url: '/v1/crawls', headers: api.auth, payload: { kind: 'followers', target: { username: TARGET }, accountId: account.id } });
    expect(created.statusCode).toBe(202);
    const crawlId = created.json<CrawlResponse>().id;
    const state = () => findCrawl(api.db.db, crawlId);

    await waitFor(async () => ((await state())?.checkpoint?.pages ?? 0) >= 20, { timeoutMs: 30_000, intervalMs: 10 });
    sandbox.expireAccount(ACCOUNT_KEY);
    const parked = await waitFor(async () => {
      const found = await state();
      return found?.crawl.status === 'reauth_required' ? found : undefined;
    }, { timeoutMs: 30_000, describe: state });
    expect(parked.crawl).toMatchObject({ errorCode: 'session_expired', finishedAt: null });
    expect(parked.crawl.pages).toBeLessThan(200);
    const [flagged] = await api.db.db.select().from(accounts).where(eq(accounts.id, account.id));
    expect(flagged).toMatchObject({ status: 'reauth_required', reauthReason: expect.stringContaining('428') });
    const view = await api.app.inject({ method: 'GET', url: `/v1/crawls/${crawlId}`, headers: api.auth });
    expect(view.json()).toMatchObject({ status: 'reauth_required', error: { code: 'session_expired' } });

    // The owner logs in again (the key works again upstream) and the account is reauthorized.
    sandbox.restoreAccount(ACCOUNT_KEY);
    const reauthorized = await api.app.inject({ method: 'POST', url: `/v1/accounts/${account.id}/reauthorize`, headers: api.auth, payload: {} });
    expect(reauthorized.statusCode).toBe(200);
    expect(reauthorized.json()).toMatchObject({ status: 'active', resumed: { crawls: 1 } });

    const done = await waitFor(async () => {
      const found = await state();
      return found?.crawl.status === 'completed' || found?.crawl.status === 'failed' ? found : undefined;
    }, { timeoutMs: 60_000, describe: state });
    expect(done.crawl).toMatchObject({ status: 'completed', items: 6000, pages: 200, generation: 1, errorCode: null });

    const stored = await api.db.db.select({ itemId: crawlItems.itemId, position: crawlItems.position }).from(crawlItems).where(eq(crawlItems.crawlId, crawlId)).orderBy(asc(crawlItems.position));
    expect(stored.map((row) => row.position)).toEqual([...Array(6000).keys()]);
    expect(stored.map((row) => row.itemId)).toEqual(await upstreamFollowerIds(TARGET));
    // The 428 page was never served, so no page was fetched twice across the park and resume.
    const refetched = Object.entries(sandbox.stats().pages).filter(([key, served]) => key.startsWith('GET /user/followers') && served > 1);
    expect(refetched).toEqual([]);
  });
});
