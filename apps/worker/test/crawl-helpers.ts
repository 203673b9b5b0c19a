import { crawlCheckpoints, crawlItems, crawls, findCrawl, insertCrawl, type CrawlCheckpointRow, type CrawlRow } from '@pubcrawl/db';
import { enqueueCrawl } from '@pubcrawl/queue';
import { startSandbox } from '@pubcrawl/sandbox';
import type { CrawlStatus } from '@pubcrawl/domain';
import type { CreateCrawlBody } from '@pubcrawl/contracts';
import { waitFor } from '@pubcrawl/testing';
import { TikApiClient } from '@pubcrawl/tiktok';
import { asc, eq } from 'drizzle-orm';
import type { WorkerContext } from '../src/context';

/** What the API does for POST /v1/crawls: insert (crawl + checkpoint), then enqueue after commit. */
export async function createCrawl(context: WorkerContext, body: CreateCrawlBody, options: { enqueue?: boolean } = {}): Promise<CrawlRow> {
  const crawl = await context.db.db.transaction((tx) => insertCrawl(tx, body));
  if (crawl === null) throw new Error('insertCrawl returned null without a schedule origin');
  if (options.enqueue !== false) await enqueueCrawl(context.queues, crawl, 0);
  return crawl;
}

export async function crawlState(context: WorkerContext, crawlId: string): Promise<{ crawl: CrawlRow; checkpoint: CrawlCheckpointRow }> {
  const found = await findCrawl(context.db.db, crawlId);
  if (found?.checkpoint == null) throw new Error(`crawl ${crawlId} not found`);
  return { crawl: found.crawl, checkpoint: found.checkpoint };
}

export async function waitForCrawlStatus(
  context: WorkerContext,
  crawlId: string,
  statuses: readonly CrawlStatus[],
  timeoutMs = 30_000,
): Promise<{ crawl: CrawlRow; checkpoint: CrawlCheckpointRow }> {
  return waitFor(
    async () => {
      const state = await crawlState(context, crawlId);
      return statuses.includes(state.crawl.status) ? state : undefined;
    },
    { timeoutMs, intervalMs: 50, describe: () => crawlState(context, crawlId) },
  );
}

/** The crawl's item ids by position, and the positions themselves (to check they are dense). */
export async function crawlItemIds(context: WorkerContext, crawlId: string): Promise<{ ids: string[]; positions: number[] }> {
  const rows = await context.db.db
    .select({ itemId: crawlItems.itemId, position: crawlItems.position })
    .from(crawlItems)
    .where(eq(crawlItems.crawlId, crawlId))
    .orderBy(asc(crawlItems.position));
  return { ids: rows.map((row) => row.itemId), positions: rows.map((row) => row.position) };
}

/**
 * The upstream order, read from a sandbox of its own: the data is a pure function of the name, so a
 * second instance lists the same followers without touching the page counters of the one under test.
 */
export async function upstreamFollowerIds(username: string): Promise<{ secUid: string; ids: string[] }> {
  const sandbox = await startSandbox({ config: { quotaPerSecond: 0 } });
  const client = new TikApiClient({ baseUrl: sandbox.url, apiKey: 'expectation' });
  try {
    const { secUid } = await client.checkUser(username);
    const ids: string[] = [];
    for await (const page of client.iterateFollowers({ secUid })) for (const item of page.items) ids.push(item.user.id);
    return { secUid, ids };
  } finally {
    await client.close();
    await sandbox.close();
  }
}

export async function upstreamVideoIds(name: string): Promise<{ id: string; ids: string[] }> {
  const sandbox = await startSandbox({ config: { quotaPerSecond: 0 } });
  const client = new TikApiClient({ baseUrl: sandbox.url, apiKey: 'expectation' });
  try {
    let id = '';
    const ids: string[] = [];
    for await (const page of client.iterateHashtag({ name })) {
      id ||= page.challengeId ?? '';
      for (const item of page.items) ids.push(item.id);
    }
    return { id, ids };
  } finally {
    await client.close();
    await sandbox.close();
  }
}

/** Pages the sandbox served more than once for this list, summed as extra fetches. */
export function refetchedPages(pages: Record<string, number>, listKeyPart: string): { pages: number; extraFetches: number } {
  let count = 0;
  let extra = 0;
  for (const [key, served] of Object.entries(pages)) {
    if (!key.includes(listKeyPart) || served < 2) continue;
    count += 1;
    extra += served - 1;
  }
  return { pages: count, extraFetches: extra };
}

export { crawlCheckpoints, crawls };
