import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, timestampTz, updatedAt } from './columns';
import { crawls } from './crawls';
import { posts } from './posts';

/**
 * The cached profile look-up (seed 003's pattern): one row per handle, refreshed when older than
 * the caller's maxAge. Keyed by the lowercased handle, because that is what callers ask by.
 */
export const tiktokProfiles = pgTable('tiktok_profiles', {
  username: text('username').primaryKey(),
  userId: text('user_id'),
  secUid: text('sec_uid'),
  nickname: text('nickname'),
  privateAccount: boolean('private_account').notNull().default(false),
  raw: jsonb('raw').notNull(),
  fetchedAt: timestampTz('fetched_at').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** A profile's counts at one instant: from a look-up or a `profile` crawl. */
export const profileSnapshots = pgTable(
  'profile_snapshots',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    username: text('username').notNull(),
    followers: bigint('followers', { mode: 'number' }),
    following: bigint('following', { mode: 'number' }),
    likes: bigint('likes', { mode: 'number' }),
    videos: bigint('videos', { mode: 'number' }),
    crawlId: uuid('crawl_id').references(() => crawls.id, { onDelete: 'set null' }),
    takenAt: timestampTz('taken_at').notNull(),
  },
  (table) => [index('profile_snapshots_username_taken_at_idx').on(table.username, table.takenAt)],
);

/** A video's counts at one instant: from a look-up, a hashtag or user_posts crawl, or a post's metric schedule. */
export const videoSnapshots = pgTable(
  'video_snapshots',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    videoId: text('video_id').notNull(),
    plays: bigint('plays', { mode: 'number' }),
    likes: bigint('likes', { mode: 'number' }),
    comments: bigint('comments', { mode: 'number' }),
    shares: bigint('shares', { mode: 'number' }),
    crawlId: uuid('crawl_id').references(() => crawls.id, { onDelete: 'set null' }),
    /** Set for a published post's scheduled snapshot, with the offset (`1h`, `7d`) it was taken at. */
    postId: uuid('post_id').references(() => posts.id, { onDelete: 'cascade' }),
    offsetLabel: text('offset_label'),
    takenAt: timestampTz('taken_at').notNull(),
  },
  (table) => [
    index('video_snapshots_video_id_taken_at_idx').on(table.videoId, table.takenAt),
    index('video_snapshots_post_id_idx').on(table.postId),
  ],
);

/** Scheduled snapshot offsets per post, so the reconciler knows which ones are still owed. */
export const postMetricOffsets = pgTable(
  'post_metric_offsets',
  {
    postId: uuid('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    offsetLabel: text('offset_label').notNull(),
    dueAt: timestampTz('due_at').notNull(),
    takenAt: timestampTz('taken_at'),
    attempts: integer('attempts').notNull().default(0),
  },
  (table) => [
    primaryKey({ columns: [table.postId, table.offsetLabel] }),
    index('post_metric_offsets_pending_idx')
      .on(table.dueAt)
      .where(sql`${table.takenAt} is null`),
  ],
);
