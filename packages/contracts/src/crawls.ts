import { z } from 'zod';
import { CRAWL_KINDS, CRAWL_STATUSES } from '@pubcrawl/domain';
import { pageQuerySchema } from './common';

/** The hard ceiling of `maxItems`; each deployment sets a lower one (the API's CRAWL_MAX_ITEMS_LIMIT). */
export const CRAWL_MAX_ITEMS_CEILING = 100_000_000;

const limits = {
  maxItems: z
    .number()
    .int()
    .min(1)
    .max(CRAWL_MAX_ITEMS_CEILING)
    .optional()
    .describe("Stop after this many items. At most the server's CRAWL_MAX_ITEMS_LIMIT (default 1,000,000): more is a 400 naming maxItems"),
  maxPages: z.number().int().min(1).max(10_000_000).optional(),
};

const followersTargetSchema = z.union([
  z.object({ username: z.string().trim().min(1).max(100) }).strict(),
  z.object({ secUid: z.string().trim().min(1).max(500) }).strict(),
]);
const hashtagTargetSchema = z.union([
  z.object({ name: z.string().trim().min(1).max(150) }).strict(),
  z.object({ id: z.string().trim().min(1).max(100) }).strict(),
]);

export const createFollowersCrawlSchema = z
  .object({
    kind: z.literal('followers'),
    target: followersTargetSchema,
    /** With an account, the crawl uses /user/followers and that account's key (so it can see 428). */
    accountId: z.uuid().optional(),
    ...limits,
  })
  .strict();

export const createHashtagCrawlSchema = z
  .object({
    kind: z.literal('hashtag'),
    target: hashtagTargetSchema,
    ...limits,
  })
  .strict();

/** One stats snapshot of a profile (followers, following, likes, videos) per run; schedule it to build a history. */
export const createProfileCrawlSchema = z
  .object({
    kind: z.literal('profile'),
    target: z.object({ username: z.string().trim().min(1).max(100) }).strict(),
  })
  .strict();

/** A user's videos, newest first, each stored with a stats snapshot. */
export const createUserPostsCrawlSchema = z
  .object({
    kind: z.literal('user_posts'),
    target: followersTargetSchema,
    ...limits,
  })
  .strict();

export const createCrawlBodySchema = z.discriminatedUnion('kind', [createFollowersCrawlSchema, createHashtagCrawlSchema, createProfileCrawlSchema, createUserPostsCrawlSchema]);
export type CreateCrawlBody = z.infer<typeof createCrawlBodySchema>;

/**
 * Why the crawl asks for more than the deployment's ceiling (CRAWL_MAX_ITEMS_LIMIT), or null. Not
 * in the schema: the ceiling is configuration, and a stored schedule body must still parse after
 * an operator lowers it.
 */
export function crawlMaxItemsProblem(body: CreateCrawlBody, maxItemsLimit: number): string | null {
  if (!('maxItems' in body) || body.maxItems === undefined || body.maxItems <= maxItemsLimit) return null;
  return `must be at most ${maxItemsLimit} (CRAWL_MAX_ITEMS_LIMIT)`;
}
export type CrawlTarget = CreateCrawlBody['target'];

export const crawlSchema = z.object({
  id: z.uuid(),
  kind: z.enum(CRAWL_KINDS),
  target: z.record(z.string(), z.string()),
  resolvedId: z.string().nullable(),
  accountId: z.uuid().nullable(),
  maxItems: z.number().int().nullable(),
  maxPages: z.number().int().nullable(),
  status: z.enum(CRAWL_STATUSES),
  pages: z.number().int(),
  items: z.number().int(),
  cursor: z.string().nullable(),
  finishReason: z.string().nullable(),
  error: z.object({ code: z.string().nullable(), message: z.string().nullable() }).nullable(),
  scheduleId: z.uuid().nullable(),
  fireTime: z.string().nullable(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type CrawlResponse = z.infer<typeof crawlSchema>;

export const listCrawlsQuerySchema = pageQuerySchema.extend({
  status: z.enum(CRAWL_STATUSES).optional(),
});
export type ListCrawlsQuery = z.infer<typeof listCrawlsQuerySchema>;

/** `json` pages; `ndjson` and `csv` stream every item of the crawl (limit and cursor are ignored). */
export const CRAWL_EXPORT_FORMATS = ['json', 'ndjson', 'csv'] as const;
export type CrawlExportFormat = (typeof CRAWL_EXPORT_FORMATS)[number];

export const crawlItemsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
  cursor: z.string().min(1).max(100).optional(),
  format: z.enum(CRAWL_EXPORT_FORMATS).optional().describe('Default json; without it the Accept header chooses (`application/x-ndjson`, `text/csv`)'),
});
export type CrawlItemsQuery = z.infer<typeof crawlItemsQuerySchema>;

export const crawlItemSchema = z.object({
  /** 0-based, in upstream order. */
  position: z.number().int(),
  /** TikTok user id (followers) or video id (hashtag). */
  id: z.string(),
  /** The object as the upstream returned it (a follower row, or a video). */
  item: z.unknown(),
});
export type CrawlItemResponse = z.infer<typeof crawlItemSchema>;
