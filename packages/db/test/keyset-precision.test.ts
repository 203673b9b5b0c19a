import { randomUUID } from 'node:crypto';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../src/client';
import { migrateDatabase } from '../src/migrate';
import { listCrawls } from '../src/queries/crawl-lifecycle';
import { afterCursorDesc, decodeCursor, pageOf } from '../src/queries/pagination';
import { listSchedules } from '../src/queries/schedules';
import { accounts, crawls, posts, schedules } from '../src/schema';
import { dropDatabase, urlFor } from './server-url';

/**
 * Creation times a microsecond column tells apart and a JS Date does not: all but the last fall in
 * one millisecond (.123 or, rounded, .124). A page that ended on .123789 used to resume at
 * `created_at < .123`, past the rows at .123001 and .123456.
 */
const INSTANTS = [
  '2026-05-01T12:00:00.122999Z',
  '2026-05-01T12:00:00.123001Z',
  '2026-05-01T12:00:00.123456Z',
  '2026-05-01T12:00:00.123499Z',
  '2026-05-01T12:00:00.123789Z',
  '2026-05-01T12:00:00.124000Z',
];

type Page = { ids: string[]; nextCursor: string | null } | null;

/** Every id a list hands out, one row per page, following its cursors to the end. */
async function pageThrough(list: (cursor: string | undefined) => Promise<Page>): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page <= INSTANTS.length * 2; page += 1) {
    const result = await list(cursor);
    if (result === null) throw new Error(`the list refused its own cursor ${String(cursor)}`);
    seen.push(...result.ids);
    if (result.nextCursor === null) return seen;
    cursor = result.nextCursor;
  }
  throw new Error('the list never ended');
}

describe('keyset pagination over created_at', () => {
  const name = `pubcrawl_db_keyset_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let handle: DbHandle;

  beforeAll(async () => {
    await migrateDatabase(urlFor(name));
    handle = createDb(urlFor(name), { max: 2 });
  });
  afterAll(async () => {
    await handle.close();
    await dropDatabase(name);
  });

  async function newAccount(label: string): Promise<string> {
    const [account] = await handle.db.insert(accounts).values({ label, provider: 'posting', externalId: randomUUID() }).returning({ id: accounts.id });
    if (account === undefined) throw new Error('no account');
    return account.id;
  }

  it('returns every post exactly once at one row a page, however close their creation times', async () => {
    const accountId = await newAccount('posts');
    const ids: string[] = [];
    for (const at of INSTANTS) {
      const [post] = await handle.db
        .insert(posts)
        .values({ accountId, request: {}, mediaType: 'video', requestHash: randomUUID(), scheduledAt: new Date(), createdAt: sql`${at}::timestamptz` })
        .returning({ id: posts.id });
      if (post === undefined) throw new Error('no post');
      ids.push(post.id);
    }
    try {
      // What GET /v1/posts runs (apps/api listPosts): the package has no list query of its own for posts.
      const seen = await pageThrough(async (cursor) => {
        const after = cursor === undefined ? null : decodeCursor(cursor);
        const rows = await handle.db
          .select()
          .from(posts)
          .where(and(eq(posts.accountId, accountId), after === null ? undefined : afterCursorDesc(posts.createdAt, posts.id, after)))
          .orderBy(desc(posts.createdAt), desc(posts.id))
          .limit(2);
        const page = pageOf(rows, 1);
        return { ids: page.items.map((post) => post.id), nextCursor: page.nextCursor };
      });
      expect(seen.toSorted()).toEqual(ids.toSorted());
    } finally {
      await handle.db.delete(posts).where(inArray(posts.id, ids));
      await handle.db.delete(accounts).where(eq(accounts.id, accountId));
    }
  });

  it('returns every crawl exactly once through listCrawls, however close their creation times', async () => {
    const ids: string[] = [];
    for (const at of INSTANTS) {
      const [crawl] = await handle.db
        .insert(crawls)
        .values({ kind: 'hashtag', target: { name: 'cats' }, createdAt: sql`${at}::timestamptz` })
        .returning({ id: crawls.id });
      if (crawl === undefined) throw new Error('no crawl');
      ids.push(crawl.id);
    }
    try {
      const seen = await pageThrough(async (cursor) => {
        const page = await listCrawls(handle.db, { limit: 1, cursor });
        return page && { ids: page.items.map(({ crawl }) => crawl.id), nextCursor: page.nextCursor };
      });
      expect(seen.toSorted()).toEqual(ids.toSorted());
    } finally {
      await handle.db.delete(crawls).where(inArray(crawls.id, ids));
    }
  });

  it('returns every schedule exactly once through listSchedules, however close their creation times', async () => {
    const ids: string[] = [];
    for (const at of INSTANTS) {
      const [schedule] = await handle.db
        .insert(schedules)
        .values({ name: at, cron: '0 * * * *', timezone: 'UTC', crawlSpec: {}, createdAt: sql`${at}::timestamptz` })
        .returning({ id: schedules.id });
      if (schedule === undefined) throw new Error('no schedule');
      ids.push(schedule.id);
    }
    try {
      const seen = await pageThrough(async (cursor) => {
        const page = await listSchedules(handle.db, { limit: 1, cursor });
        return page && { ids: page.items.map((schedule) => schedule.id), nextCursor: page.nextCursor };
      });
      expect(seen.toSorted()).toEqual(ids.toSorted());
    } finally {
      await handle.db.delete(schedules).where(inArray(schedules.id, ids));
    }
  });

  it('returns every account exactly once at one row a page, however close their creation times', async () => {
    const ids: string[] = [];
    for (const at of INSTANTS) {
      const [account] = await handle.db
        .insert(accounts)
        .values({ label: at, provider: 'posting', externalId: randomUUID(), createdAt: sql`${at}::timestamptz` })
        .returning({ id: accounts.id });
      if (account === undefined) throw new Error('no account');
      ids.push(account.id);
    }
    try {
      // What GET /v1/accounts runs (apps/api routes/accounts.ts).
      const seen = await pageThrough(async (cursor) => {
        const after = cursor === undefined ? null : decodeCursor(cursor);
        const rows = await handle.db
          .select()
          .from(accounts)
          .where(and(inArray(accounts.id, ids), after === null ? undefined : afterCursorDesc(accounts.createdAt, accounts.id, after)))
          .orderBy(desc(accounts.createdAt), desc(accounts.id))
          .limit(2);
        const page = pageOf(rows, 1);
        return { ids: page.items.map((account) => account.id), nextCursor: page.nextCursor };
      });
      expect(seen.toSorted()).toEqual(ids.toSorted());
    } finally {
      await handle.db.delete(accounts).where(inArray(accounts.id, ids));
    }
  });

  it('stores created_at to the millisecond, rounding explicit values and the default alike', async () => {
    const explicit = await newAccount('explicit');
    const defaulted = await newAccount('defaulted');
    try {
      await handle.db.update(accounts).set({ createdAt: sql`'2026-05-01T12:00:00.123500Z'::timestamptz` }).where(eq(accounts.id, explicit));
      const rows = await handle.db
        .select({ id: accounts.id, createdAt: accounts.createdAt, micros: sql<number>`extract(microseconds from ${accounts.createdAt})::int % 1000` })
        .from(accounts)
        .where(inArray(accounts.id, [explicit, defaulted]));
      expect(rows.map((row) => row.micros)).toEqual([0, 0]);
      expect(rows.find((row) => row.id === explicit)?.createdAt.toISOString()).toBe('2026-05-01T12:00:00.124Z');
    } finally {
      await handle.db.delete(accounts).where(inArray(accounts.id, [explicit, defaulted]));
    }
  });

  it('declares every created_at that a list pages by as timestamptz(3)', async () => {
    const result = await handle.db.execute<{ table_name: string; datetime_precision: number }>(sql`
      select table_name, datetime_precision from information_schema.columns
      where table_schema = 'public' and column_name = 'created_at' and table_name in ('accounts', 'crawls', 'posts', 'schedules')
      order by table_name`);
    expect(result.rows).toEqual(['accounts', 'crawls', 'posts', 'schedules'].map((table_name) => ({ table_name, datetime_precision: 3 })));
  });
});
