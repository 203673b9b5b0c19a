import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { accounts } from './accounts';
import { createdAt, id, keysetCreatedAt, timestampTz, updatedAt } from './columns';
import { postStatusEnum } from './enums';

export const posts = pgTable(
  'posts',
  {
    id: id(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    /** The validated publish request, exactly as accepted by the API. */
    request: jsonb('request').notNull(),
    mediaType: text('media_type').notNull(),
    status: postStatusEnum('status').notNull().default('scheduled'),
    idempotencyKey: text('idempotency_key'),
    /** SHA-256 of the canonical request; same key + different hash is a conflict. */
    requestHash: text('request_hash').notNull(),
    scheduledAt: timestampTz('scheduled_at').notNull(),
    publishId: text('publish_id'),
    publicUrl: text('public_url'),
    attempts: integer('attempts').notNull().default(0),
    /**
     * Bumped when an operator retries a failed or unconfirmed post, so the new publish and poll jobs
     * get ids distinct from the finished ones BullMQ may still remember.
     */
    generation: integer('generation').notNull().default(0),
    lastErrorCode: text('last_error_code'),
    lastErrorMessage: text('last_error_message'),
    /** When the provider call was made; the gap to scheduled_at is the publish latency. */
    submittedAt: timestampTz('submitted_at'),
    /** Status polling gives up after this instant (PUBLISH_STATUS_HORIZON after submission). */
    pollDeadlineAt: timestampTz('poll_deadline_at'),
    finishedAt: timestampTz('finished_at'),
    /**
     * Why a due post is not being sent, `{reason, until, message}`; null while nothing holds it.
     * Cleared when it is claimed.
     */
    waiting: jsonb('waiting'),
    /** SHA-256 of what the audience sees (content, media, photo title); the duplicate guard's key. */
    contentHash: text('content_hash'),
    /** TikTok's video id, read from the public URL once published: what the metric snapshots follow. */
    videoId: text('video_id'),
    createdAt: keysetCreatedAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    uniqueIndex('posts_idempotency_key_key').on(table.idempotencyKey),
    index('posts_status_scheduled_at_idx').on(table.status, table.scheduledAt),
    index('posts_account_id_status_idx').on(table.accountId, table.status),
    index('posts_created_at_id_idx').on(table.createdAt, table.id),
    index('posts_status_created_at_id_idx').on(table.status, table.createdAt, table.id),
    index('posts_account_created_at_id_idx').on(table.accountId, table.createdAt, table.id),
    index('posts_account_content_hash_idx').on(table.accountId, table.contentHash, table.createdAt),
    index('posts_account_submitted_at_idx')
      .on(table.accountId, table.submittedAt)
      .where(sql`${table.submittedAt} is not null`),
    uniqueIndex('posts_publish_id_key')
      .on(table.publishId)
      .where(sql`${table.publishId} is not null`),
  ],
);

/** Append-only: one row per transition, written in the transaction that makes the transition. */
export const postEvents = pgTable(
  'post_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    postId: uuid('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    fromStatus: postStatusEnum('from_status'),
    toStatus: postStatusEnum('to_status').notNull(),
    code: text('code'),
    message: text('message'),
    data: jsonb('data'),
    createdAt: createdAt(),
  },
  (table) => [index('post_events_post_id_id_idx').on(table.postId, table.id)],
);

/**
 * A batch create's answer, kept under its Idempotency-Key so a replay returns it instead of
 * creating anything; written in the transaction that creates the batch's posts.
 */
export const postBatches = pgTable('post_batches', {
  idempotencyKey: text('idempotency_key').primaryKey(),
  requestHash: text('request_hash').notNull(),
  response: jsonb('response').notNull(),
  createdAt: createdAt(),
});
