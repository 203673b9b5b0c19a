import type { RedisTopology } from '@pubcrawl/config';
import { ALL_QUEUE_NAMES } from '@pubcrawl/domain';
import { publishContentHash, type RunningSandbox } from '@pubcrawl/sandbox';
import { testSandbox, waitFor } from '@pubcrawl/testing';
import { startReconcilers } from '@pubcrawl/worker';
import { expect } from 'vitest';
import { startApiWorkers, startTestApi, type ApiWorkers, type TestApi } from './harness';
import { createAccount, videoBody } from './publishing-fixtures';
import { upstreamFollowerIds } from './upstream';

/**
 * The workload every Redis topology must carry: the real API and workers, a burst of posts due at
 * one instant across a few accounts, and a followers crawl, all through the topology under test.
 */

export const ACCOUNTS = 5;
export const POSTS_PER_ACCOUNT = 50;
export const FOLLOWERS = 6_000;
const TARGET = `user_${FOLLOWERS}`;

export interface TopologyWorld {
  api: TestApi;
  sandbox: RunningSandbox;
  workers: ApiWorkers;
  reconcilers: { close(): Promise<void> };
  close(): Promise<void>;
}

/**
 * One teardown step: what it undoes, how long it may take, and how to drop its Redis connections
 * should it take longer. Together the limits stay well inside the tests' 60 s teardown hook, so a
 * step that hangs is named in the failure instead of the hook timing out.
 */
interface UndoStep {
  name: string;
  limitMs: number;
  run(): Promise<void>;
  force?(): void;
}

/** The workers: up to 5 s for connections to settle, the 5 s grace startApiWorkers gives, 5 s to hand jobs back, 5 s to close, then the context. */
const WORKERS_STOP_LIMIT_MS = 25_000;
const STEP_LIMIT_MS = 6_000;

/** Runs `step`, at most its limit. Resolves to an overrun's description, or null. */
async function runStep(step: UndoStep): Promise<string | null> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'overran'>((resolve) => {
    timer = setTimeout(() => resolve('overran'), step.limitMs);
  });
  const done = step.run().then(
    () => 'done' as const,
    (caught: unknown) => {
      console.error(`cleanup step ${step.name} failed`, caught);
      return 'done' as const;
    },
  );
  const outcome = await Promise.race([done, limit]);
  clearTimeout(timer);
  if (outcome === 'done') return null;
  const overrun = `${step.name} did not finish within ${step.limitMs} ms`;
  console.error(`cleanup: ${overrun}; dropping its Redis connections and going on (started ${Date.now() - started} ms ago)`);
  step.force?.();
  return overrun;
}

/**
 * API, sandbox, workers and reconcilers on `topology`; `close` undoes whatever was started, in
 * reverse, every step bounded. A step that overruns is forced and the rest still run; `close` then
 * rejects naming it, so a hang fails the test in seconds and says where.
 */
export async function startTopologyWorld(topology: RedisTopology): Promise<TopologyWorld> {
  const undo: UndoStep[] = [];
  const close = async () => {
    const overruns: string[] = [];
    for (const step of undo.splice(0).reverse()) {
      const overrun = await runStep(step);
      if (overrun !== null) overruns.push(overrun);
    }
    if (overruns.length > 0) throw new Error(`teardown overran: ${overruns.join('; ')}`);
  };
  try {
    const api = await startTestApi({ API_RATE_LIMIT_PER_MINUTE: '100000' }, { redis: topology });
    undo.push({
      name: 'api.close',
      limitMs: STEP_LIMIT_MS,
      run: () => api.close(),
      force: () => {
        api.redis.disconnect();
        api.testRedis.client.disconnect();
      },
    });
    // A little latency per page keeps the crawl running long enough to be caught mid-way.
    const sandbox = await testSandbox({ quotaPerSecond: 0, accountLimits: null, publishDurationMs: 300, latencyMs: 20 });
    undo.push({ name: 'sandbox.close', limitMs: STEP_LIMIT_MS, run: () => sandbox.close() });
    const workers = startApiWorkers(api, sandbox, ALL_QUEUE_NAMES, {
      TIKAPI_REQUESTS_PER_SECOND: '100000',
      POSTING_REQUESTS_PER_SECOND: '100000',
      ACCOUNT_PUBLISH_PER_MINUTE: '100000',
      ACCOUNT_DAILY_POSTS: '100000',
      ACCOUNT_STATUS_PER_MINUTE: '100000',
      PUBLISH_STATUS_FIRST_INTERVAL_MS: '200',
      PUBLISH_STATUS_MAX_INTERVAL_MS: '500',
      // The designed recovery for jobs a failover loses: rebuilt from Postgres within a second.
      RECONCILE_INTERVAL_MS: '1000',
      JOB_LOCK_DURATION_MS: '5000',
      STALLED_INTERVAL_MS: '1000',
      CRAWL_SEGMENT_PAGES: '20',
      // Teardown need not wait for jobs still running: the world is thrown away with its data.
      SHUTDOWN_GRACE_MS: '2000',
    });
    undo.push({ name: 'workers.stop', limitMs: WORKERS_STOP_LIMIT_MS, run: () => workers.stop(), force: () => workers.context.redis.disconnect() });
    const reconcilers = startReconcilers(workers.context);
    undo.push({ name: 'reconcilers.close', limitMs: STEP_LIMIT_MS, run: () => reconcilers.close() });
    return { api, sandbox, workers, reconcilers, close };
  } catch (caught) {
    await close();
    throw caught;
  }
}

export interface Burst {
  crawlId: string;
  /** Post id → the sandbox's duplicate-detection key (account external id, content hash). */
  posts: Map<string, { externalId: string; contentHash: string }>;
}

/**
 * Creates the accounts, the posts (all due at one instant, a few seconds ahead) and then the crawl
 * through the API, so the crawl and the burst run at the same time.
 */
export async function createBurstAndCrawl(api: TestApi): Promise<Burst> {
  const accounts = [];
  for (let index = 0; index < ACCOUNTS; index += 1) accounts.push(await createAccount(api));

  const scheduledAt = new Date(Date.now() + 3_000).toISOString();
  const posts: Burst['posts'] = new Map();
  const requests = accounts.flatMap((account) =>
    Array.from({ length: POSTS_PER_ACCOUNT }, (_, index) => ({ account, content: `burst ${account.externalId} ${index}` })),
  );
  // Twenty at a time: the API's own pool and the test's two cores, not Redis, set the pace.
  for (let start = 0; start < requests.length; start += 20) {
    await Promise.all(
      requests.slice(start, start + 20).map(async ({ account, content }) => {
        const body = videoBody(account.id, { content, scheduledAt });
        const response = await api.app.inject({ method: 'POST', url: '/v1/posts', headers: api.auth, payload: body });
        expect(response.statusCode, response.body).toBe(202);
        const mediaUrls = (body.mediaItems as Array<{ url: string }>).map((item) => item.url);
        posts.set(response.json<{ id: string }>().id, { externalId: account.externalId, contentHash: publishContentHash({ accountId: account.externalId, content, mediaUrls }) });
      }),
    );
  }
  const crawl = await api.app.inject({ method: 'POST', url: '/v1/crawls', headers: api.auth, payload: { kind: 'followers', target: { username: TARGET } } });
  expect(crawl.statusCode, crawl.body).toBe(202);
  return { crawlId: crawl.json<{ id: string }>().id, posts };
}

export async function postStatusCounts(api: TestApi): Promise<Record<string, number>> {
  const result = await api.db.pool.query<{ status: string; n: string }>('select status, count(*)::text as n from posts group by status');
  return Object.fromEntries(result.rows.map((row) => [row.status, Number(row.n)]));
}

export async function crawlProgress(api: TestApi, crawlId: string): Promise<{ status: string; pages: number; items: number }> {
  const result = await api.db.pool.query<{ status: string; pages: number; items: number }>('select status, pages, items from crawls where id = $1', [crawlId]);
  const row = result.rows[0];
  if (row === undefined) throw new Error(`crawl ${crawlId} not found`);
  return row;
}

/** Waits (bounded) for every post to be published and the crawl to finish. */
export async function waitForBurstAndCrawl(api: TestApi, burst: Burst, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      const counts = await postStatusCounts(api);
      const crawl = await crawlProgress(api, burst.crawlId);
      return counts.published === burst.posts.size && crawl.status !== 'queued' && crawl.status !== 'running';
    },
    { timeoutMs, intervalMs: 250, describe: async () => ({ posts: await postStatusCounts(api), crawl: await crawlProgress(api, burst.crawlId) }) },
  );
}

/**
 * Exactly once on the provider's side: the sandbox saw one publish per post and no other, and
 * every post is published in Postgres after one attempt. The crawl holds every follower once, in
 * upstream order.
 */
export async function expectExactlyOnce(world: TopologyWorld, burst: Burst): Promise<void> {
  const publishes = world.sandbox.stats().publishes;
  const seen = new Map(publishes.map((entry) => [`${entry.accountId}\u0000${entry.contentHash}`, entry.count]));
  const perPost = [...burst.posts.values()].map((post) => seen.get(`${post.externalId}\u0000${post.contentHash}`) ?? 0);
  expect(perPost.filter((count) => count !== 1)).toEqual([]);
  expect(publishes.reduce((sum, entry) => sum + entry.count, 0)).toBe(burst.posts.size);
  expect(await postStatusCounts(world.api)).toEqual({ published: burst.posts.size });

  expect(await crawlProgress(world.api, burst.crawlId)).toMatchObject({ status: 'completed', items: FOLLOWERS });
  const rows = await world.api.db.pool.query<{ item_id: string; position: number }>('select item_id, position from crawl_items where crawl_id = $1 order by position', [burst.crawlId]);
  expect(rows.rows.map((row) => row.position)).toEqual(Array.from({ length: FOLLOWERS }, (_, index) => index));
  expect(rows.rows.map((row) => row.item_id)).toEqual(await upstreamFollowerIds(TARGET));
}
