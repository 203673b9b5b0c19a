import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../src/client';
import { migrateDatabase } from '../src/migrate';
import { applyCrawlPage, type CrawledUser } from '../src/queries/crawl-pages';
import { finishCrawl, startCrawlRun } from '../src/queries/crawl-lifecycle';
import { insertCrawl } from '../src/queries/crawls';
import { countFollowerChanges, followerChangeCounts } from '../src/queries/follower-changes';
import { crawls } from '../src/schema';
import { dropDatabase, urlFor } from './server-url';

const user = (id: string): CrawledUser => ({ id, secUid: `sec_${id}`, uniqueId: `u_${id}`, nickname: null, followerCount: 1, raw: { id } });
const range = (prefix: string, from: number, to: number): string[] => Array.from({ length: to - from }, (_, index) => `${prefix}${from + index}`);

describe('follower change counts kept at ingest', () => {
  const name = `pubcrawl_db_changes_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  let handle: DbHandle;

  beforeAll(async () => {
    await migrateDatabase(urlFor(name));
    handle = createDb(urlFor(name), { max: 4 });
  });
  afterAll(async () => {
    await handle.close();
    await dropDatabase(name);
  });

  interface Running {
    id: string;
    generation: number;
    pages: number;
  }

  async function startCrawl(secUid: string): Promise<Running> {
    const crawl = await handle.db.transaction((tx) => insertCrawl(tx, { kind: 'followers', target: { secUid } }));
    if (crawl === null) throw new Error('insertCrawl returned null');
    await startCrawlRun(handle.db, crawl.id, crawl.generation);
    return { id: crawl.id, generation: crawl.generation, pages: 0 };
  }

  async function storePage(crawl: Running, ids: readonly string[], options: { hasMore?: boolean; maxNewItems?: number | null } = {}): Promise<void> {
    const result = await applyCrawlPage(handle.db, {
      guard: { crawlId: crawl.id, generation: crawl.generation, pages: crawl.pages, segmentPages: 0 },
      rows: { kind: 'followers', users: ids.map(user) },
      next: { cursor: `c${crawl.pages + 1}`, hasMore: options.hasMore ?? true },
      maxNewItems: options.maxNewItems ?? null,
    });
    if (!result.applied) throw new Error('page not applied');
    crawl.pages += 1;
  }

  async function complete(crawl: Running, finishReason: 'exhausted' | 'max_items' = 'exhausted'): Promise<void> {
    const finished = await finishCrawl(handle.db, crawl.id, crawl.generation, { status: 'completed', finishReason });
    if (finished === null) throw new Error('crawl not finished');
  }

  async function crawlPages(secUid: string, pages: ReadonlyArray<readonly string[]>): Promise<Running> {
    const crawl = await startCrawl(secUid);
    for (const page of pages) await storePage(crawl, page);
    await complete(crawl);
    return crawl;
  }

  async function recorded(crawlId: string): Promise<{ baselineCrawlId: string | null; baselineMatches: number }> {
    const [row] = await handle.db.select({ baselineCrawlId: crawls.baselineCrawlId, baselineMatches: crawls.baselineMatches }).from(crawls).where(eq(crawls.id, crawlId));
    if (row === undefined) throw new Error('no crawl row');
    return row;
  }

  const difference = (a: readonly string[], b: readonly string[]) => new Set([...a].filter((id) => !new Set(b).has(id))).size;

  it('answers the same gained and lost as the SQL count, with items repeated within and across pages', async () => {
    const previousIds = range('a', 0, 100);
    const previous = await crawlPages('sec_dups', [previousIds.slice(0, 30), previousIds.slice(30, 60), previousIds.slice(60, 90), previousIds.slice(90)]);

    const current = await startCrawl('sec_dups');
    // Repeated ids: twice in one page, again on later pages (the upstream list shifting while it is
    // read). Only the first occurrence is stored, so only it may count as a match.
    const pages = [
      [...range('a', 50, 70), 'a55', 'a56', ...range('n', 0, 8)],
      [...range('a', 60, 75), ...range('n', 5, 12), 'a0'],
      ['a0', 'a50', 'a51', ...range('a', 75, 80), 'n0', 'n11'],
    ];
    for (const page of pages) await storePage(current, page, { hasMore: page !== pages[pages.length - 1] });
    await complete(current);

    const currentIds = [...new Set(pages.flat())];
    const expected = { gained: difference(currentIds, previousIds), lost: difference(previousIds, currentIds) };
    expect(expected).toEqual({ gained: 12, lost: 69 });
    expect(await recorded(current.id)).toEqual({ baselineCrawlId: previous.id, baselineMatches: currentIds.length - expected.gained });
    expect(await countFollowerChanges(handle.db, current.id, previous.id)).toEqual(expected);
    expect(await followerChangeCounts(handle.db, current.id)).toEqual({ previousCrawlId: previous.id, truncated: false, ...expected });
  });

  it('counts only the items a capped page inserted, and keeps lost unknown when the crawl stopped early', async () => {
    const previousIds = range('b', 0, 40);
    const previous = await crawlPages('sec_capped', [previousIds]);
    const current = await startCrawl('sec_capped');
    await storePage(current, [...range('m', 0, 5), ...range('b', 0, 20)], { maxNewItems: 10 });
    await complete(current, 'max_items');

    const stored = [...range('m', 0, 5), ...range('b', 0, 5)];
    expect(await recorded(current.id)).toEqual({ baselineCrawlId: previous.id, baselineMatches: 5 });
    expect(await countFollowerChanges(handle.db, current.id, previous.id)).toEqual({ gained: 5, lost: difference(previousIds, stored) });
    expect(await followerChangeCounts(handle.db, current.id)).toEqual({ previousCrawlId: previous.id, truncated: true, gained: 5, lost: null });
  });

  it('records no baseline for the first crawl of a target, and has nothing to count', async () => {
    const first = await crawlPages('sec_first', [range('f', 0, 10)]);
    expect(await recorded(first.id)).toEqual({ baselineCrawlId: null, baselineMatches: 0 });
    expect(await followerChangeCounts(handle.db, first.id)).toEqual({ previousCrawlId: null, truncated: false, gained: null, lost: null });
  });

  it('falls back to the SQL count when another crawl of the target completed while this one ran', async () => {
    const oldest = await crawlPages('sec_overlap', [range('o', 0, 30)]);
    const current = await startCrawl('sec_overlap');
    await storePage(current, range('o', 10, 40));
    // Started after the current crawl's first page, finished before it: the newer previous crawl.
    const overtaking = await crawlPages('sec_overlap', [range('o', 20, 60)]);
    await storePage(current, range('o', 40, 45), { hasMore: false });
    await complete(current);

    const currentIds = range('o', 10, 45);
    const overtakingIds = range('o', 20, 60);
    // The counters were kept against the oldest crawl; they do not describe this comparison.
    expect(await recorded(current.id)).toEqual({ baselineCrawlId: oldest.id, baselineMatches: 20 });
    const expected = { gained: difference(currentIds, overtakingIds), lost: difference(overtakingIds, currentIds) };
    expect(expected).toEqual({ gained: 10, lost: 15 });
    expect(await followerChangeCounts(handle.db, current.id)).toEqual({ previousCrawlId: overtaking.id, truncated: false, ...expected });
    // And the overtaking crawl, whose baseline was the oldest one, still reads its own counters.
    expect(await recorded(overtaking.id)).toEqual({ baselineCrawlId: oldest.id, baselineMatches: 10 });
    expect(await followerChangeCounts(handle.db, overtaking.id)).toEqual({ previousCrawlId: oldest.id, truncated: false, gained: 30, lost: 20 });
  });
});
