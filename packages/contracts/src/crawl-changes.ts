import { z } from 'zod';
import { CRAWL_EXPORT_FORMATS } from './crawls';

/**
 * Follower changes: a completed followers crawl compared with the previous completed followers
 * crawl of the same target.
 */

const gained = z
  .number()
  .int()
  .nullable()
  .describe('Followers in this crawl that are not in the previous one; null when there is no previous crawl');
const lost = z
  .number()
  .int()
  .nullable()
  .describe('Followers in the previous crawl that are not in this one; null when unknown (truncated) or when there is no previous crawl');
const truncated = z
  .boolean()
  .describe('Either crawl stopped early (maxItems, maxPages, or a list the upstream capped): who is missing is unknown, so lost is null');

/** What `crawl.completed` carries for a followers crawl that has a previous one. */
export const crawlChangesSummarySchema = z.object({
  previousCrawlId: z.uuid(),
  gained: z.number().int(),
  lost,
  truncated,
});
export type CrawlChangesSummary = z.infer<typeof crawlChangesSummarySchema>;

export const crawlChangesSchema = z.object({
  crawlId: z.uuid(),
  previousCrawlId: z.uuid().nullable().describe('The latest completed followers crawl of the same target before this one; null when there is none'),
  gained,
  lost,
  truncated,
});
export type CrawlChangesResponse = z.infer<typeof crawlChangesSchema>;

export const CRAWL_CHANGE_TYPES = ['gained', 'lost'] as const;
export type CrawlChangeType = (typeof CRAWL_CHANGE_TYPES)[number];

export const crawlChangeItemsQuerySchema = z.object({
  type: z.enum(CRAWL_CHANGE_TYPES).describe('gained: in this crawl, not the previous one; lost: in the previous crawl, not this one'),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  cursor: z.string().min(1).max(100).optional(),
  format: z.enum(CRAWL_EXPORT_FORMATS).optional().describe('Default json; without it the Accept header chooses (`application/x-ndjson`, `text/csv`)'),
});
export type CrawlChangeItemsQuery = z.infer<typeof crawlChangeItemsQuerySchema>;

export const crawlChangeItemSchema = z.object({
  /** 0-based position in the crawl the follower is in: this crawl for gained, the previous one for lost. */
  position: z.number().int(),
  /** TikTok user id. */
  id: z.string(),
  uniqueId: z.string().nullable(),
  nickname: z.string().nullable(),
  secUid: z.string().nullable(),
});
export type CrawlChangeItemResponse = z.infer<typeof crawlChangeItemSchema>;
