import { randomUUID } from 'node:crypto';
import { createDb, expectedMigrationCount, migrateDatabase, type DbHandle } from '@pubcrawl/db';
import type { RunningSandbox } from '@pubcrawl/sandbox';
import { ALL_QUEUE_NAMES } from '@pubcrawl/domain';
import { type CrawlResponse } from '@pubcrawl/contracts';
import {
  dropDatabase,
  pgbouncerBinary,
  startPgBouncer,
  testDatabase,
  testSandbox,
  testServices,
  waitFor,
  watchPreparedStatements,
  withDatabaseName,
  type PreparedStatementWatch,
  type RunningPgBouncer,
  type TestDatabase,
} from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiWorkers, startTestApi, type ApiWorkers, type TestApi } from './harness';
import { createAccount, videoBody } from './publishing-fixtures';

// A developer without PgBouncer still gets a green run; CI installs it (.ci/run ensure_pgbouncer),
// so there a missing binary fails loudly instead of quietly skipping the only pooled-mode check.
const installed = pgbouncerBinary() !== null;
const runnable = installed || Boolean(process.env.CI);
if (!runnable) console.warn('pgbouncer.test.ts skipped: pgbouncer is not installed (apt-get install -y pgbouncer); under CI this fails instead');

/** Fewer server connections than the api's and the workers' pools hold: clients take turns on them. */
const POOL_SIZE = 5;
const POSTS = 8;
const FOLLOWERS = [3_000, 2_000];

/** Server connections Postgres has open to `database`, asked directly rather than through PgBouncer. */
async function serverConnections(admin: DbHandle, database: string): Promise<number> {
  const result = await admin.pool.query<{ count: number }>('select count(*)::int as count from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [database]);
  return result.rows[0]?.count ?? 0;
}

describe.skipIf(!runnable)('through PgBouncer in transaction pooling mode', () => {
  let bouncer: RunningPgBouncer;
  let database: TestDatabase;
  let api: TestApi;
  let sandbox: RunningSandbox;
  let workers: ApiWorkers;
  /** Straight to Postgres, not through PgBouncer: what the server itself sees. */
  let admin: DbHandle;
  let statements: PreparedStatementWatch;

  beforeAll(async () => {
    // PgBouncer 1.21+ is told not to paper over named prepared statements (max_prepared_statements
    // = 0); older ones cannot track them at all, so every Parse message our code sends is watched too.
    statements = watchPreparedStatements();
    bouncer = await startPgBouncer(testServices().databaseUrl, { poolSize: POOL_SIZE });
    database = await testDatabase();
    api = await startTestApi({ DATABASE_URL: bouncer.urlFor(database.name) });
    sandbox = await testSandbox({ quotaPerSecond: 0, accountLimits: null, publishDurationMs: 300, latencyMs: 5 });
    workers = startApiWorkers(api, sandbox, ALL_QUEUE_NAMES, {
      TIKAPI_REQUESTS_PER_SECOND: '100000',
      POSTING_REQUESTS_PER_SECOND: '100000',
      ACCOUNT_PUBLISH_PER_MINUTE: '10000',
      ACCOUNT_DAILY_POSTS: '10000',
      ACCOUNT_STATUS_PER_MINUTE: '10000',
      PUBLISH_STATUS_FIRST_INTERVAL_MS: '200',
      PUBLISH_STATUS_MAX_INTERVAL_MS: '500',
      CRAWL_SEGMENT_PAGES: '20',
    });
    admin = createDb(withDatabaseName(testServices().databaseUrl, 'postgres'), { max: 1 });
  });
  afterAll(async () => {
    statements?.stop();
    await workers?.stop();
    await sandbox?.close();
    await api?.close();
    await admin?.close();
    // Before the database goes: dropping it would cut PgBouncer's server connections under it.
    await bouncer?.stop();
    await database?.cleanup();
  });

  it('publishes posts and crawls followers to completion, on no more server connections than the pool', async () => {
    const account = await createAccount(api);
    const postIds: string[] = [];
    for (let index = 0; index < POSTS; index += 1) {
      const response = await api.app.inject({ method: 'POST', url: '/v1/posts', headers: api.auth, payload: videoBody(account.id, { content: `through the bouncer ${index}` }) });
      expect(response.statusCode, response.body).toBe(202);
      postIds.push(response.json<{ id: string }>().id);
    }
    const crawlIds: string[] = [];
    for (const followers of FOLLOWERS) {
      const response = await api.app.inject({ method: 'POST', url: '/v1/crawls', headers: api.auth, payload: { kind: 'followers', target: { username: `user_${followers}` } } });
      expect(response.statusCode, response.body).toBe(202);
      crawlIds.push(response.json<CrawlResponse>().id);
    }

    const posts = async () => Promise.all(postIds.map(async (id) => (await api.app.inject({ method: 'GET', url: `/v1/posts/${id}`, headers: api.auth })).json<{ status: string }>()));
    const crawls = async () => Promise.all(crawlIds.map(async (id) => (await api.app.inject({ method: 'GET', url: `/v1/crawls/${id}`, headers: api.auth })).json<CrawlResponse>()));
    // Sampled while the work runs: what Postgres sees (the bouncer's server connections) against
    // what our processes hold (client connections to the bouncer).
    let mostServer = 0;
    let mostClient = 0;
    await waitFor(
      async () => {
        mostServer = Math.max(mostServer, await serverConnections(admin, database.name));
        mostClient = Math.max(mostClient, api.db.pool.totalCount + workers.context.db.pool.totalCount);
        const [postViews, crawlViews] = await Promise.all([posts(), crawls()]);
        return postViews.every((post) => post.status === 'published') && crawlViews.every((crawl) => crawl.status === 'completed');
      },
      { timeoutMs: 60_000, intervalMs: 100, describe: async () => ({ posts: (await posts()).map((post) => post.status), crawls: (await crawls()).map((crawl) => `${crawl.status} ${crawl.items}`), log: bouncer.log().slice(-2_000) }) },
    );

    expect((await crawls()).map((crawl) => crawl.items)).toEqual(FOLLOWERS);
    const stored = await api.db.pool.query<{ crawl_id: string; count: number }>('select crawl_id, count(*)::int as count from crawl_items group by crawl_id');
    expect(new Map(stored.rows.map((row) => [row.crawl_id, row.count]))).toEqual(new Map(crawlIds.map((id, index) => [id, FOLLOWERS[index]])));
    // Each post was sent exactly once: no claim was lost or doubled between server connections.
    const publishes = sandbox.stats().publishes.filter((entry) => entry.accountId === account.externalId);
    expect(publishes.reduce((sum, entry) => sum + entry.count, 0)).toBe(POSTS);
    expect(publishes.every((entry) => entry.count === 1)).toBe(true);

    expect(mostServer, 'Postgres saw more server connections than default_pool_size').toBeLessThanOrEqual(POOL_SIZE);
    expect(mostClient, 'the pools never outnumbered the server connections, so nothing was shared').toBeGreaterThan(POOL_SIZE);
    expect(statements.parses(), 'the watch saw no Parse at all: it watches another copy of pg').toBeGreaterThan(0);
    expect(statements.named).toEqual([]);
    expect(bouncer.log()).not.toMatch(/unsupported startup parameter|prepared statement/i);
  });

  it('gives each client its own application_name on whichever server connection it gets', async () => {
    const names = await Promise.all(
      Array.from({ length: 20 }, (_, index) => {
        const pool = index % 2 === 0 ? api.db.pool : workers.context.db.pool;
        return pool.query<{ name: string }>("select current_setting('application_name') as name").then((result) => result.rows[0]?.name);
      }),
    );
    expect(names).toEqual(Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? 'pubcrawl' : 'pubcrawl-worker')));
  });

  it('creates and migrates a new database, six concurrent migrators applying each migration once and leaving no lock behind', async () => {
    const name = `pubcrawl_bouncer_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const url = bouncer.urlFor(name);
    try {
      // More migrators than server connections: those waiting for the lock hold one each, and the
      // sixth waits in PgBouncer's queue until the lock holder commits.
      const results = await Promise.all(Array.from({ length: POOL_SIZE + 1 }, () => migrateDatabase(url)));
      const expected = await expectedMigrationCount();
      expect(results.filter((result) => result.createdDatabase)).toHaveLength(1);
      expect(results.reduce((sum, result) => sum + result.applied, 0)).toBe(expected);
      expect(results.map((result) => result.total)).toEqual(results.map(() => expected));

      const migrated = createDb(url, { max: 1 });
      try {
        const rows = await migrated.pool.query<{ count: number; distinct: number }>('select count(*)::int as count, count(distinct hash)::int as distinct from drizzle.__drizzle_migrations');
        expect(rows.rows[0]).toEqual({ count: expected, distinct: expected });
      } finally {
        await migrated.close();
      }

      const locks = await admin.pool.query('select 1 from pg_locks l join pg_database d on d.oid = l.database where l.locktype = $1 and d.datname = $2', ['advisory', name]);
      expect(locks.rowCount, 'an advisory lock outlived its migrator on a pooled server connection').toBe(0);
      expect(await migrateDatabase(url)).toEqual({ createdDatabase: false, applied: 0, total: expected });
    } finally {
      await dropDatabase(testServices().databaseUrl, name);
    }
  });
});
