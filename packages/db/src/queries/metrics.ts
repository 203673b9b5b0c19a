import type { CrawlStatus, PostStatus } from '@pubcrawl/domain';
import { sql } from 'drizzle-orm';
import type { Executor } from '../client';
import { crawls, posts } from '../schema';

/** Aggregates for the api's /metrics, read at every scrape. */

/** How many posts are in each status; statuses with none are absent. */
export async function countPostsByStatus(executor: Executor): Promise<Array<{ status: PostStatus; count: number }>> {
  return executor
    .select({ status: posts.status, count: sql<number>`count(*)::int` })
    .from(posts)
    .groupBy(posts.status);
}

/** How many crawls are in each status; statuses with none are absent. */
export async function countCrawlsByStatus(executor: Executor): Promise<Array<{ status: CrawlStatus; count: number }>> {
  return executor
    .select({ status: crawls.status, count: sql<number>`count(*)::int` })
    .from(crawls)
    .groupBy(crawls.status);
}

/**
 * Crawled items committed to Postgres, over all crawls. The sum is a bigint, which pg hands over
 * as text; it is read as a number here, exact up to 2^53 items.
 */
export async function countCrawlItemsIngested(executor: Executor): Promise<number> {
  const [row] = await executor.select({ total: sql<string>`coalesce(sum(${crawls.items}), 0)::bigint` }).from(crawls);
  return Number(row?.total ?? 0);
}
