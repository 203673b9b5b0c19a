import { createHash } from 'node:crypto';
import {
  cancelUnstartedPost,
  findAccount,
  findPost,
  findPostByIdempotencyKey,
  insertPost,
  insertPostUnlessDuplicate,
  isUniqueViolation,
  listPosts as listPostRows,
  recordOperatorRetry,
  recordOperatorVerdict,
  type PostRow,
} from '@pubcrawl/db';
import { enqueuePublish, enqueuePublishStatus, enqueueWebhook, jobIds } from '@pubcrawl/queue';
import { QUEUE_NAMES } from '@pubcrawl/domain';
import { resolveMediaType, storedRequestOf, type CreatePostInput, type ListPostsQuery, type ResolvePostBody, type TrackPublishBody } from '@pubcrawl/contracts';

import type { ApiContext } from '../context';
import { conflict, invalidInput, notFound } from '../errors';
import { toError } from '@pubcrawl/errors';
import { preflightCreatorSettings } from './creator-info';
import { accountLimits, accountProblem, duplicateContent, duplicateSince } from './post-checks';
import { contentHash, requestHash } from './post-hashes';
import { limitWarnings } from './post-limits';

export interface CreatedPost {
  post: PostRow;
  /** True when an earlier request with the same Idempotency-Key and body created it. */
  replayed: boolean;
  /** The account's limits or creator settings, as far as they bear on this post; empty on a replay. */
  warnings: string[];
}

function replayOrConflict(existing: PostRow, hash: string): CreatedPost {
  if (existing.requestHash !== hash) {
    throw conflict('This Idempotency-Key was already used with a different request body', { 'idempotency-key': 'already used with a different body' });
  }
  return { post: existing, replayed: true, warnings: [] };
}

/**
 * Validation (the route's schema, the account, the creator's settings, the duplicate guard) happens
 * before any write; the post and its `created` event commit together; the job is enqueued after the
 * commit. If Redis refuses the enqueue, the post is still safe: the reconciler enqueues every
 * scheduled post without a job.
 *
 * An Idempotency-Key replay is answered before the duplicate guard: the replayed post is the
 * earlier identical post, and the caller asked for exactly it. `allowDuplicate` is not part of the
 * stored request nor of its hash, so sending it or not does not make the same post a different
 * request.
 */
export async function createPost(context: ApiContext, input: CreatePostInput, idempotencyKey: string | undefined): Promise<CreatedPost> {
  const body = storedRequestOf(input);
  const hash = requestHash(body);
  if (idempotencyKey !== undefined) {
    const existing = await findPostByIdempotencyKey(context.db.db, idempotencyKey);
    if (existing !== null) return replayOrConflict(existing, hash);
  }

  const account = await findAccount(context.db.db, body.accountId);
  const problem = accountProblem(account);
  if (account === null || problem !== null) throw invalidInput('Invalid field: accountId', { accountId: problem ?? 'no account with this id' });
  const mediaType = resolveMediaType(body);
  // The schema already refused bodies whose media type cannot be told; this is belt and braces.
  if (mediaType === null) throw invalidInput('Invalid field: mediaType', { mediaType: 'cannot tell whether this is a video or photos; set mediaType' });

  const preflight = await preflightCreatorSettings(context, account, { settings: body.settings, mediaType });
  const issues = Object.keys(preflight.issues);
  if (issues.length > 0) throw invalidInput(`Invalid ${issues.length === 1 ? 'field' : 'fields'}: ${issues.join(', ')}`, preflight.issues);

  const scheduledAt = body.scheduledAt === undefined ? new Date() : new Date(body.scheduledAt);
  const [limitWarning] = await limitWarnings(context.db.db, [{ accountId: account.id, at: Math.max(scheduledAt.getTime(), Date.now()) }], accountLimits(context));

  let inserted: { post: PostRow } | { duplicateOf: string };
  try {
    inserted = await insertPostUnlessDuplicate(
      context.db.db,
      {
        values: {
          accountId: account.id,
          request: body,
          mediaType,
          status: 'scheduled',
          idempotencyKey: idempotencyKey ?? null,
          requestHash: hash,
          contentHash: contentHash(body),
          scheduledAt,
        },
        guarded: true,
      },
      duplicateSince(context, input.allowDuplicate),
    );
  } catch (caught) {
    // Two identical requests raced past the lookup above: the unique index let one in.
    if (idempotencyKey !== undefined && isUniqueViolation(caught, 'posts_idempotency_key_key')) {
      const existing = await findPostByIdempotencyKey(context.db.db, idempotencyKey);
      if (existing !== null) return replayOrConflict(existing, hash);
    }
    throw caught;
  }
  if ('duplicateOf' in inserted) {
    // The same request with the same key, racing this one, is what committed first (the content
    // lock made this insert wait for it): that is a replay, not a duplicate.
    const existing = idempotencyKey === undefined ? null : await findPostByIdempotencyKey(context.db.db, idempotencyKey);
    if (existing !== null) return replayOrConflict(existing, hash);
    throw duplicateContent(inserted.duplicateOf);
  }
  const { post } = inserted;

  try {
    await enqueuePublish(context.queues, post);
  } catch (caught) {
    context.logger.warn({ err: toError(caught), postId: post.id }, 'could not enqueue the post; the reconciler will');
  }
  return { post, replayed: false, warnings: [...(limitWarning === null || limitWarning === undefined ? [] : [limitWarning]), ...preflight.warnings] };
}

export async function listPosts(context: ApiContext, query: ListPostsQuery): Promise<{ items: PostRow[]; nextCursor: string | null }> {
  const page = await listPostRows(context.db.db, query);
  if (page === null) throw invalidInput('Invalid field: cursor', { cursor: 'is not a cursor from this API' });
  return page;
}

/**
 * Cancels a post that has not started: `scheduled`, or parked on its account. Once a worker has
 * claimed it (`publishing`) the provider call may be under way, so cancelling is refused (409).
 */
export async function cancelPost(context: ApiContext, postId: string): Promise<PostRow> {
  const row = await context.db.db.transaction((tx) => cancelUnstartedPost(tx, postId));
  if (row === null) throw await refusal(context, postId, 'only a scheduled (or parked) post can be cancelled');
  try {
    // The delayed job would find the post cancelled and stop; removing it just keeps Redis tidy.
    await context.queues[QUEUE_NAMES.publish].remove(`${jobIds.publish(row.id)}-${row.generation}`);
  } catch (caught) {
    context.logger.debug({ err: toError(caught), postId }, 'the publish job could not be removed (it is running); it will skip the cancelled post');
  }
  return row;
}

/**
 * An operator's deliberate re-send of a failed or unconfirmed post. A new generation gives its jobs
 * fresh ids (BullMQ would ignore an id it still remembers) and makes stale jobs of the old one inert.
 */
export async function retryPost(context: ApiContext, postId: string): Promise<PostRow> {
  const row = await recordOperatorRetry(context.db.db, postId);
  if (row === null) throw await refusal(context, postId, 'only a failed or unconfirmed post that pubcrawl sent can be retried');
  try {
    await enqueuePublish(context.queues, row);
  } catch (caught) {
    context.logger.warn({ err: toError(caught), postId }, 'could not enqueue the retried post; the reconciler will');
  }
  return row;
}

async function refusal(context: ApiContext, postId: string, rule: string): Promise<Error> {
  const current = await findPost(context.db.db, postId);
  if (current === null) return notFound('Post');
  return conflict(`The post is ${current.status}: ${rule}`, { status: current.status });
}

/**
 * An operator's "check it now": a post the provider accepted (`processing`) has its status job
 * run immediately instead of at its next backoff step. Only the poll moves; nothing is re-sent.
 */
export async function pollPostNow(context: ApiContext, postId: string): Promise<PostRow> {
  const post = await findPost(context.db.db, postId);
  if (post === null) throw notFound('Post');
  if (post.status !== 'processing' || post.publishId === null) {
    throw conflict(`The post is ${post.status}: only a post the provider accepted (processing) can be polled`, { status: post.status });
  }
  const job = await context.queues[QUEUE_NAMES.publishStatus].getJob(jobIds.publishStatus(post.id, post.generation));
  if (job !== undefined && (await job.isDelayed())) await job.promote();
  else if (job === undefined) await enqueuePublishStatus(context.queues, post, 0);
  return post;
}

/**
 * Follows a publish made elsewhere to its outcome. The post is created already `processing` with the
 * given publish id, so the only job it ever gets is the status poll: pubcrawl never sends it, and
 * an operator cannot "retry" it (there is no request of ours to send).
 */
export async function trackPublish(context: ApiContext, body: TrackPublishBody): Promise<PostRow> {
  const account = await findAccount(context.db.db, body.accountId);
  if (account === null) throw invalidInput('Invalid field: accountId', { accountId: 'no account with this id' });
  if (account.provider === 'tikapi') throw invalidInput('Invalid field: accountId', { accountId: 'is a tikapi account; only posting and tiktok accounts publish' });
  const now = new Date();
  let post: PostRow;
  try {
    post = await insertPost(context.db.db, {
      accountId: account.id,
      request: { tracked: { publishId: body.publishId } },
      mediaType: 'unknown',
      // A parked account's publish waits like its other posts, and resumes to polling.
      status: account.status === 'active' ? 'processing' : 'reauth_required',
      requestHash: createHash('sha256').update(`tracked:${body.publishId}`).digest('hex'),
      scheduledAt: now,
      submittedAt: now,
      publishId: body.publishId,
    });
  } catch (caught) {
    if (isUniqueViolation(caught, 'posts_publish_id_key')) throw conflict('This publish id is already tracked', { publishId: 'already tracked' });
    throw caught;
  }
  if (post.status === 'processing') {
    try {
      await enqueuePublishStatus(context.queues, post, 0);
    } catch (caught) {
      context.logger.warn({ err: toError(caught), postId: post.id }, 'could not enqueue the status poll; the reconciler will');
    }
  }
  return post;
}

/**
 * An operator's verdict on an unconfirmed post, so it reaches a definite outcome without being sent
 * again:
 * - `published` with the publish id: back to `processing`, and the status poll finds the provider's
 *   own outcome (and raises the webhook then);
 * - `published` without one: `published` at once, with the public URL if given;
 * - `not_published`: `failed` (code `not_published`), which a deliberate retry can still re-send.
 * Only an unconfirmed post can be resolved (409 otherwise): every other state has a real answer.
 */
export async function resolveUnconfirmedPost(context: ApiContext, postId: string, verdict: ResolvePostBody): Promise<PostRow> {
  let outcome: { row: PostRow | null; delivery: string | null };
  try {
    // A verdict that ends the post records its webhook in the same transaction, as a worker does.
    outcome = await recordOperatorVerdict(context.db.db, postId, verdict, context.env.WEBHOOK_URL);
  } catch (caught) {
    if (isUniqueViolation(caught, 'posts_publish_id_key')) throw conflict('This publish id belongs to another post', { publishId: 'already belongs to another post' });
    throw caught;
  }
  const { row, delivery } = outcome;
  if (row === null) throw await refusal(context, postId, 'only an unconfirmed post can be resolved');
  try {
    if (row.status === 'processing') await enqueuePublishStatus(context.queues, row, 0);
    if (delivery !== null) await enqueueWebhook(context.queues, delivery);
  } catch (caught) {
    context.logger.warn({ err: toError(caught), postId }, 'could not enqueue after resolving the post; the reconcilers will');
  }
  return row;
}
