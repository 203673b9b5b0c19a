import type { RunningSandbox } from '@pubcrawl/sandbox';
import type { CrawlResponse } from '@pubcrawl/contracts';
import { testSandbox, waitFor } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiWorkers, startTestApi, type ApiWorkers, type TestApi } from './harness';

const FOLLOWERS = 6_000;

/** Sum of every sample of `name` whose labels include all of `labels` (exposition format lines). */
function total(body: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of body.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

describe('/metrics during a crawl', () => {
  let api: TestApi;
  let sandbox: RunningSandbox;
  let workers: ApiWorkers;

  beforeAll(async () => {
    api = await startTestApi();
    // Per-page latency stretches the crawl over several seconds: long enough for two scrapes
    // (workers flush their counts to Redis once a second) to land while it runs.
    sandbox = await testSandbox({ quotaPerSecond: 0, latencyMs: 25 });
    // The workers share the API's database and key prefix, as in production: /metrics on the API
    // can only show what the workers recorded where the API reads.
    workers = startApiWorkers(api, sandbox, ['crawl-followers'], { TIKAPI_REQUESTS_PER_SECOND: '100000' });
  });
  afterAll(async () => {
    await workers?.stop();
    await sandbox?.close();
    await api?.close();
  });

  it('shows items ingested and upstream requests rising between two scrapes while the crawl runs, and the totals once it is done', async () => {
    const scrape = async () => (await api.app.inject({ method: 'GET', url: '/metrics' })).body;
    const created = await api.app.inject({ method: 'POST', url: '/v1/crawls', headers: api.auth, payload: { kind: 'followers', target: { username: `user_${FOLLOWERS}` } } });
    expect(created.statusCode).toBe(202);
    const crawlId = created.json<CrawlResponse>().id;
    const crawl = async () => (await api.app.inject({ method: 'GET', url: `/v1/crawls/${crawlId}`, headers: api.auth })).json<CrawlResponse>();

    // Past the first few pages, and flushed: the first scrape already sees the crawl under way.
    const first = await waitFor(
      async () => {
        const body = await scrape();
        return total(body, 'pubcrawl_upstream_requests_total', { upstream: 'tikapi' }) > 0 && total(body, 'pubcrawl_crawl_items_ingested_total') >= 300 ? body : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    expect(total(first, 'pubcrawl_crawls', { status: 'running' })).toBe(1);
    expect(total(first, 'pubcrawl_queue_jobs', { queue: 'crawl-followers', state: 'active' })).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const second = await scrape();
    expect((await crawl()).status, 'the crawl ended before the second scrape; slow the sandbox down').toBe('running');

    const items = [total(first, 'pubcrawl_crawl_items_ingested_total'), total(second, 'pubcrawl_crawl_items_ingested_total')];
    const requests = [first, second].map((body) => total(body, 'pubcrawl_upstream_requests_total', { upstream: 'tikapi', status: '200' }));
    expect(items[1], `items ingested ${items.join(' -> ')}`).toBeGreaterThan(items[0] ?? Infinity);
    expect(requests[1], `tikapi 200s ${requests.join(' -> ')}`).toBeGreaterThan(requests[0] ?? Infinity);

    await waitFor(async () => (await crawl()).status === 'completed', { timeoutMs: 60_000, intervalMs: 200, describe: crawl });
    // Every answer the sandbox gave with 200 is counted once, after the recorder's next flush.
    const served = Object.values(sandbox.stats().requests.byEndpoint).reduce((sum, endpoint) => sum + (endpoint.byStatus['200'] ?? 0), 0);
    const done = await waitFor(
      async () => {
        const body = await scrape();
        const counted = total(body, 'pubcrawl_upstream_requests_total', { upstream: 'tikapi', status: '200' });
        const jobs = total(body, 'pubcrawl_jobs_total', { queue: 'crawl-followers', outcome: 'completed' });
        return counted === served && jobs > 0 ? body : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 100, describe: async () => ({ served, scraped: total(await scrape(), 'pubcrawl_upstream_requests_total', { upstream: 'tikapi', status: '200' }) }) },
    );
    expect(total(done, 'pubcrawl_crawl_items_ingested_total')).toBe(FOLLOWERS);
    expect(total(done, 'pubcrawl_crawls', { status: 'completed' })).toBe(1);
    expect(total(done, 'pubcrawl_crawls', { status: 'running' })).toBe(0);
    expect(total(done, 'pubcrawl_job_duration_seconds_count', { queue: 'crawl-followers' })).toBeGreaterThan(0);
  });
});
