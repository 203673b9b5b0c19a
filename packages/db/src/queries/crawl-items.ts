import type { CrawlKind } from '@pubcrawl/domain';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Executor } from '../client';
import { decodeOpaque } from './pagination';

/**
 * One crawled item with the stored object. `raw` is the jsonb as text: the NDJSON export writes it
 * as it is, so streaming a million rows never parses and re-serialises a million objects.
 */
export type CrawlItemRow = {
  position: number;
  itemId: string;
  raw: string | null;
  /** Flat columns for CSV: unique_id / author_id. */
  handle: string | null;
  /** nickname / description. */
  title: string | null;
  /** sec_uid for users; null for videos. */
  secUid: string | null;
  /** follower_count for users; null for videos. */
  count: number | null;
  /** posted_at for videos; null for users. */
  postedAt: string | null;
};

/**
 * Up to `limit` items of a crawl after `afterPosition` (exclusive; -1 for the start), in upstream
 * order: keyset on the (crawl_id, position) unique index.
 *
 * The range has an upper bound as well (`<= afterPosition + limit`) because positions are dense by
 * construction (applyCrawlPage numbers only the rows it inserts, from the checkpoint's item count),
 * so the bound selects exactly the next `limit` items. Without it, a planner working from stale
 * statistics (a crawl grows far faster than autovacuum analyzes) picked a bitmap scan of every
 * remaining row plus a sort for each batch: 160 ms per batch deep into a 200k-item crawl instead of
 * 3 ms, which made a full export quadratic. With the bound, the worst plan still reads `limit` rows.
 */
export async function crawlItemsAfter(executor: Executor, crawl: { id: string; kind: CrawlKind }, afterPosition: number, limit: number): Promise<CrawlItemRow[]> {
  // Past the integer column the bound would be an out-of-range parameter, an error, not an empty page.
  const upTo = Math.min(afterPosition + limit, MAX_ITEM_POSITION);
  const result =
    crawl.kind === 'followers'
      ? await executor.execute<CrawlItemRow>(sql`
          select ci.position, ci.item_id as "itemId", u.raw::text as raw, u.unique_id as handle, u.nickname as title,
                 u.sec_uid as "secUid", u.follower_count as count, null::text as "postedAt"
            from crawl_items ci
            left join tiktok_users u on u.id = ci.item_id
           where ci.crawl_id = ${crawl.id} and ci.position > ${afterPosition} and ci.position <= ${upTo}
           order by ci.position`)
      : await executor.execute<CrawlItemRow>(sql`
          select ci.position, ci.item_id as "itemId", v.raw::text as raw, v.author_id as handle, v.description as title,
                 null::text as "secUid", null::int as count, to_char(v.posted_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "postedAt"
            from crawl_items ci
            left join tiktok_videos v on v.id = ci.item_id
           where ci.crawl_id = ${crawl.id} and ci.position > ${afterPosition} and ci.position <= ${upTo}
           order by ci.position`);
  return result.rows;
}

/** The largest position: `crawl_items.position` is a Postgres integer. */
export const MAX_ITEM_POSITION = 2 ** 31 - 1;

/** Item cursors are opaque to clients (base64url), like every other cursor of the API. */
export function encodePositionCursor(position: number): string {
  return Buffer.from(`p:${position}`).toString('base64url');
}

/** `p:` and a position without leading zeros, as encodePositionCursor writes it. */
const positionCursorSchema = z
  .string()
  .regex(/^p:(0|[1-9]\d{0,9})$/)
  .transform((text) => Number(text.slice(2)))
  .pipe(z.number().int().min(0).max(MAX_ITEM_POSITION));

/**
 * The position after which the page starts, or null when `value` is not a cursor we wrote. A
 * position past the integer column used to reach Postgres and come back as a 500.
 */
export function decodePositionCursor(value: string): number | null {
  const text = decodeOpaque(value);
  if (text === null) return null;
  const parsed = positionCursorSchema.safeParse(text);
  return parsed.success ? parsed.data : null;
}
