import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { createdAt, id, keysetCreatedAt, timestampTz, updatedAt } from './columns';
import { crawlKindEnum, crawlStatusEnum } from './enums';
import { schedules } from './schedules';

export const crawls = pgTable(
  'crawls',
  {
    id: id(),
    kind: crawlKindEnum('kind').notNull(),
    /** What the user asked for: `{username}` / `{secUid}` / `{name}` / `{id}`. */
    target: jsonb('target').notNull(),
    /** The upstream id the target resolved to (secUid or hashtag id), stored once resolved. */
    resolvedId: text('resolved_id'),
    accountId: uuid('account_id').references(() => accounts.id),
    maxItems: integer('max_items'),
    maxPages: integer('max_pages'),
    status: crawlStatusEnum('status').notNull().default('queued'),
    pages: integer('pages').notNull().default(0),
    items: integer('items').notNull().default(0),
    /** Bumped on resume, so the resumed crawl's job ids differ from the failed or cancelled ones. */
    generation: integer('generation').notNull().default(0),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    /** Why a completed crawl stopped: one of CRAWL_FINISH_REASONS (`exhausted`, `max_items`, `max_pages`, `list_limit`). */
    finishReason: text('finish_reason'),
    scheduleId: uuid('schedule_id').references(() => schedules.id, { onDelete: 'set null' }),
    fireTime: timestampTz('fire_time'),
    /**
     * Followers crawls: the crawl this one is compared with, picked when its first page is stored (the
     * latest completed followers crawl of the same target then). Null when there was none, for other
     * kinds, and for crawls whose first page predates the column.
     */
    baselineCrawlId: uuid('baseline_crawl_id').references((): AnyPgColumn => crawls.id, { onDelete: 'set null' }),
    /**
     * How many of this crawl's items are also items of `baseline_crawl_id`, counted page by page in the
     * page's own statement, so GET /changes answers gained and lost from two counters.
     */
    baselineMatches: integer('baseline_matches').notNull().default(0),
    startedAt: timestampTz('started_at'),
    finishedAt: timestampTz('finished_at'),
    createdAt: keysetCreatedAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('crawls_schedule_id_fire_time_key').on(table.scheduleId, table.fireTime),
    index('crawls_status_idx').on(table.status),
    index('crawls_created_at_id_idx').on(table.createdAt, table.id),
    index('crawls_status_created_at_id_idx').on(table.status, table.createdAt, table.id),
    index('crawls_account_id_status_idx').on(table.accountId, table.status),
    index('crawls_schedule_active_idx')
      .on(table.scheduleId)
      .where(sql`${table.status} in ('queued', 'running')`),
  ],
);

/**
 * The resume point of a crawl. Written in the same transaction as the page it follows, so it can
 * never run ahead of or behind the data.
 */
export const crawlCheckpoints = pgTable('crawl_checkpoints', {
  crawlId: uuid('crawl_id')
    .primaryKey()
    .references(() => crawls.id, { onDelete: 'cascade' }),
  cursor: text('cursor'),
  hasMore: boolean('has_more').notNull().default(true),
  pages: integer('pages').notNull().default(0),
  items: integer('items').notNull().default(0),
  /**
   * The page count at which the current segment job was enqueued: it names the one job that should
   * exist (`crawl-<id>-g<generation>-p<segmentPages>`). `pages` moves on while that job runs, so the
   * reconciler could not compute the job id from it; a job whose segment is no longer this one is
   * stale and steps aside.
   */
  segmentPages: integer('segment_pages').notNull().default(0),
  updatedAt: updatedAt(),
});

/** Membership of a crawled user or video in a crawl, in upstream order. */
export const crawlItems = pgTable(
  'crawl_items',
  {
    crawlId: uuid('crawl_id')
      .notNull()
      .references(() => crawls.id, { onDelete: 'cascade' }),
    /** TikTok user id (followers crawls) or video id (hashtag crawls). */
    itemId: text('item_id').notNull(),
    position: integer('position').notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('crawl_items_crawl_id_item_id_key').on(table.crawlId, table.itemId),
    uniqueIndex('crawl_items_crawl_id_position_key').on(table.crawlId, table.position),
  ],
);

export const tiktokUsers = pgTable(
  'tiktok_users',
  {
    id: text('id').primaryKey(),
    secUid: text('sec_uid'),
    uniqueId: text('unique_id'),
    nickname: text('nickname'),
    followerCount: integer('follower_count'),
    raw: jsonb('raw').notNull(),
    firstSeenAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [index('tiktok_users_unique_id_idx').on(table.uniqueId)],
);

export const tiktokVideos = pgTable(
  'tiktok_videos',
  {
    id: text('id').primaryKey(),
    authorId: text('author_id'),
    description: text('description'),
    postedAt: timestampTz('posted_at'),
    raw: jsonb('raw').notNull(),
    /** When the video information endpoint last answered for it (the look-up cache); null if only crawled. */
    fetchedAt: timestampTz('fetched_at'),
    firstSeenAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [index('tiktok_videos_author_id_idx').on(table.authorId)],
);
