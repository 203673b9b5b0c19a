/**
 * Publish burst: N posts across M accounts, all scheduled for the same instant, against a sandbox
 * with no quota, published by real workers on a fresh database and a private Redis prefix. Prints
 * the p50/p99/max of (publish call − scheduledAt), read from `submitted_at` in Postgres (the sandbox
 * cannot tell call times), the time until every post is published, and the sandbox's duplicate
 * count (must be zero).
 *
 *   cd bench && pnpm exec tsx publish-burst.ts [--posts 1000] [--accounts 20] [--children 0]
 *     [--concurrency 20] [--lead-ms 3000] [--publish-ms 1000]
 *
 * --children 0 runs the workers in this process; N > 0 spawns N worker processes (`pnpm worker`'s
 * entry point) instead. Postgres: DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432);
 * Redis: REDIS_URL. Everything it creates is removed at the end, also on failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { commonEnvFields, DEFAULT_REDIS_URL, loadEnv, parseEnv } from '@pubcrawl/config';
import { accounts, insertPosts, type PostRow } from '@pubcrawl/db';
import { createLogger } from '@pubcrawl/logger';
import { enqueuePublish } from '@pubcrawl/queue';
import { startSandbox } from '@pubcrawl/sandbox';
import { createPostBodySchema } from '@pubcrawl/contracts';
import { deleteKeysWithPrefix, freshMigratedDatabase } from '@pubcrawl/testing';
import { createWorkerContext, startReconcilers, startWorkers, workerEnvSchema } from '@pubcrawl/worker';
import { Redis } from 'ioredis';

const { values } = parseArgs({
  options: {
    posts: { type: 'string', default: '1000' },
    accounts: { type: 'string', default: '20' },
    children: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '20' },
    'lead-ms': { type: 'string', default: '5000' },
    'publish-ms': { type: 'string', default: '1000' },
  },
});
const POSTS = Number(values.posts);
const ACCOUNTS = Number(values.accounts);
const CHILDREN = Number(values.children);
const CONCURRENCY = Number(values.concurrency);
const LEAD_MS = Number(values['lead-ms']);
const PUBLISH_MS = Number(values['publish-ms']);

// A standalone Redis only: the bench measures our pipeline, not a topology.
const { DATABASE_URL, REDIS_URL = DEFAULT_REDIS_URL } = loadEnv(commonEnvFields.pick({ DATABASE_URL: true, REDIS_URL: true }));

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: 0, accountLimits: null, publishDurationMs: PUBLISH_MS } });
    cleanups.push(() => sandbox.close());
    const database = await freshMigratedDatabase(DATABASE_URL, 'pubcrawl_bench');
    cleanups.push(() => database.cleanup());
    const prefix = `{bench-${randomUUID()}}`;
    const redis = new Redis(REDIS_URL);
    cleanups.push(async () => {
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
    });

    const env: Record<string, string> = {
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      REDIS_URL,
      QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      TIKAPI_BASE_URL: sandbox.url,
      TIKAPI_API_KEY: 'bench-key',
      POSTING_BASE_URL: sandbox.url,
      POSTING_API_KEY: 'bench-key',
      TIKAPI_REQUESTS_PER_SECOND: '100000',
      POSTING_REQUESTS_PER_SECOND: '100000',
      ACCOUNT_PUBLISH_PER_MINUTE: '100000',
      ACCOUNT_STATUS_PER_MINUTE: '100000',
      PUBLISH_CONCURRENCY: String(CONCURRENCY),
      PUBLISH_STATUS_CONCURRENCY: String(CONCURRENCY),
      PUBLISH_STATUS_FIRST_INTERVAL_MS: '500',
      PUBLISH_STATUS_MAX_INTERVAL_MS: '2000',
      RECONCILE_INTERVAL_MS: '60000',
    };
    const logger = createLogger({ name: 'bench', level: 'silent', pretty: false });
    const context = createWorkerContext(parseEnv(workerEnvSchema, env), logger);
    cleanups.push(() => context.close());

    // What the API would have written: accounts, validated requests, created events; then the jobs.
    const owners = await context.db.db
      .insert(accounts)
      .values(Array.from({ length: ACCOUNTS }, (_, index) => ({ label: `bench ${index}`, provider: 'posting' as const, externalId: `acct_${index}` })))
      .returning();
    const scheduledAt = new Date(Date.now() + LEAD_MS);
    const rows: PostRow[] = [];
    for (let start = 0; start < POSTS; start += 500) {
      const chunk = Array.from({ length: Math.min(500, POSTS - start) }, (_, offset) => {
        const index = start + offset;
        const owner = owners[index % owners.length];
        if (owner === undefined) throw new Error('no accounts');
        const request = createPostBodySchema.parse({
          accountId: owner.id,
          content: `bench post ${index}`,
          mediaItems: [{ url: `https://cdn.example.com/bench/${index}.mp4` }],
          scheduledAt: scheduledAt.toISOString(),
          settings: { privacyLevel: 'PUBLIC_TO_EVERYONE', allowComment: true, allowDuet: true, allowStitch: true },
        });
        return { accountId: owner.id, request, mediaType: 'video', requestHash: `bench-${index}`, scheduledAt };
      });
      rows.push(...(await insertPosts(context.db.db, chunk)));
    }
    for (let start = 0; start < rows.length; start += 200) await Promise.all(rows.slice(start, start + 200).map((post) => enqueuePublish(context.queues, post)));
    const lead = scheduledAt.getTime() - Date.now();
    if (lead < 500) throw new Error(`seeding took too long: only ${lead} ms left before scheduledAt; raise --lead-ms`);

    const children: ChildProcess[] = [];
    if (CHILDREN === 0) {
      const workers = startWorkers(context);
      const reconcilers = startReconcilers(context);
      cleanups.push(async () => {
        await reconcilers.close();
        await workers.close(5_000);
      });
    } else {
      const workerMain = fileURLToPath(new URL('./main.ts', import.meta.resolve('@pubcrawl/worker')));
      for (let index = 0; index < CHILDREN; index += 1) {
        children.push(spawn(process.execPath, ['--import', 'tsx', workerMain], { env, stdio: ['ignore', 'ignore', 'inherit'] }));
      }
      cleanups.push(async () => {
        for (const child of children) child.kill('SIGTERM');
        await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : null)));
      });
    }

    let allPublishedAt: number | null = null;
    const deadline = Date.now() + LEAD_MS + 300_000;
    while (Date.now() < deadline) {
      const result = await context.db.pool.query<{ n: string }>("select count(*)::text as n from posts where status <> 'published'");
      if (Number(result.rows[0]?.n) === 0) {
        allPublishedAt = Date.now();
        break;
      }
      await sleep(50);
    }
    if (allPublishedAt === null) throw new Error('not every post was published within 5 minutes');

    const lateness = (
      await context.db.pool.query<{ ms: string }>('select extract(epoch from (submitted_at - scheduled_at)) * 1000 as ms from posts')
    ).rows
      .map((row) => Number(row.ms))
      .sort((a, b) => a - b);
    const lastFinished = await context.db.pool.query<{ ms: string }>('select extract(epoch from (max(finished_at) - min(scheduled_at))) * 1000 as ms from posts');
    const publishes = sandbox.stats().publishes;
    const total = publishes.reduce((sum, entry) => sum + entry.count, 0);
    const duplicates = publishes.filter((entry) => entry.count > 1).length;

    const mode = CHILDREN === 0 ? 'in-process workers' : `${CHILDREN} worker process(es)`;
    console.log(`publish-burst: ${POSTS} posts, ${ACCOUNTS} accounts, one instant, ${mode}, concurrency ${CONCURRENCY}, sandbox publish ${PUBLISH_MS} ms`);
    console.log(`  publish call − scheduledAt   p50 ${percentile(lateness, 0.5).toFixed(0)} ms   p99 ${percentile(lateness, 0.99).toFixed(0)} ms   max ${(lateness[lateness.length - 1] ?? 0).toFixed(0)} ms`);
    console.log(`  scheduledAt → all published  ${Number(lastFinished.rows[0]?.ms).toFixed(0)} ms (last finished_at); observed by polling: ${allPublishedAt - scheduledAt.getTime()} ms`);
    console.log(`  sandbox publishes            ${total} for ${POSTS} posts, ${duplicates} duplicated`);
    // Everything (Postgres, Redis, sandbox, workers) shares this machine, so its load is part of the figure.
    console.log(`  machine                      ${availableParallelism()} cores, load average ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
    if (total !== POSTS || duplicates !== 0) process.exitCode = 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((caught: unknown) => console.error('cleanup failed:', caught));
  }
}

await main();
