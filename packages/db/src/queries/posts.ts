import { canTransitionPost, type PostStatus, type WebhookEventKey } from '@pubcrawl/domain';
import { postRequestSchema, postWaitingSchema, trackedRequestSchema, type PostEventResponse, type PostResponse, type PostWaiting, type ResolvePostBody } from '@pubcrawl/contracts';
import { and, asc, desc, eq, getTableColumns, gt, inArray, ne, notInArray, sql } from 'drizzle-orm';
import type { Database, Executor } from '../client';
import { postEvents, posts } from '../schema';
import { afterCursorDesc, decodeCursor, pageOf } from './pagination';
import { lockPost } from './publishing';
import { recordWebhookEvent } from './webhooks';

export type PostRow = typeof posts.$inferSelect;
export type PostPatch = Partial<
  Pick<
    PostRow,
    'publishId' | 'publicUrl' | 'attempts' | 'lastErrorCode' | 'lastErrorMessage' | 'submittedAt' | 'pollDeadlineAt' | 'finishedAt' | 'generation' | 'scheduledAt' | 'waiting'
  >
>;

export interface TransitionDetails {
  code?: string | null;
  message?: string | null;
  data?: Record<string, unknown> | null;
  patch?: PostPatch;
  /** Added to `attempts` in the same statement (+1 when a call is made, -1 when it was refused). */
  attemptsDelta?: number;
  /** Only move the post if it is still this generation (a stale job must not act on a new one). */
  generation?: number;
}

export class IllegalPostTransition extends Error {
  constructor(
    readonly from: PostStatus,
    readonly to: PostStatus,
  ) {
    super(`a post cannot move from ${from} to ${to}`);
    this.name = 'IllegalPostTransition';
  }
}

/**
 * Moves a post from one of `from` to `to` and appends its event, as ONE statement (safe outside a
 * transaction; inside the caller's, it commits with whatever else the caller writes). The locked
 * `from` check is the concurrency guard: if another worker (or the API) moved the post first,
 * nothing is written and `null` comes back, so two racing actors can never both act.
 *
 * One statement rather than select-update-insert because this sits on the publish path between the
 * `publishing` commit and the provider's answer, where every round trip waiting for a pooled
 * connection widens the window in which a crash leaves a post unconfirmed.
 */
export async function transitionPost(
  tx: Executor,
  postId: string,
  from: readonly PostStatus[],
  to: PostStatus,
  details: TransitionDetails = {},
): Promise<PostRow | null> {
  for (const status of from) {
    if (!canTransitionPost(status, to)) throw new IllegalPostTransition(status, to);
  }
  const isFinal = to === 'published' || to === 'failed' || to === 'unconfirmed' || to === 'cancelled';
  const now = new Date();
  // FOR UPDATE re-reads the row after any concurrent writer commits, so `status` is current.
  const previous = tx.$with('previous').as(
    tx
      .select({ previousId: posts.id, previousStatus: posts.status })
      .from(posts)
      .where(and(eq(posts.id, postId), inArray(posts.status, [...from]), details.generation === undefined ? undefined : eq(posts.generation, details.generation)))
      .for('update'),
  );
  const updated = tx.$with('updated').as(
    tx
      .update(posts)
      .set({
        status: to,
        // A wait explains a scheduled post; once it moves on, the reason is history (its event stays).
        ...(to === 'scheduled' ? {} : { waiting: null }),
        ...details.patch,
        ...(details.attemptsDelta === undefined ? {} : { attempts: sql`greatest(0, ${posts.attempts} + ${details.attemptsDelta})` }),
        ...(isFinal && details.patch?.finishedAt === undefined ? { finishedAt: now } : {}),
        updatedAt: now,
      })
      .from(previous)
      .where(eq(posts.id, previous.previousId))
      .returning({ ...getTableColumns(posts), fromStatus: sql<PostStatus>`${previous.previousStatus}`.as('from_status') }),
  );
  const event = tx.$with('event', {}).as(
    sql`insert into ${postEvents} (post_id, from_status, to_status, code, message, data)
        select id, from_status, ${to}::post_status, ${details.code ?? null}, ${details.message ?? null}, ${details.data === undefined || details.data === null ? null : JSON.stringify(details.data)}::jsonb
        from updated`,
  );
  const [row] = await tx.with(previous, updated, event).select().from(updated);
  if (row === undefined) return null;
  const { fromStatus: _fromStatus, ...post } = row;
  return post;
}

export type NewPostRow = typeof posts.$inferInsert;

/**
 * Inserts posts together with their `created` events, in one transaction: a post never exists
 * without the first entry of its timeline.
 */
export async function insertPosts(db: Database, values: readonly NewPostRow[]): Promise<PostRow[]> {
  if (values.length === 0) return [];
  return db.transaction(async (tx) => {
    const created = await tx.insert(posts).values([...values]).returning();
    await tx.insert(postEvents).values(created.map((post) => ({ postId: post.id, fromStatus: null, toStatus: post.status, code: 'created', message: null, data: null })));
    return created;
  });
}

export async function insertPost(db: Database, values: NewPostRow): Promise<PostRow> {
  const [row] = await insertPosts(db, [values]);
  if (row === undefined) throw new Error('insert returned no row');
  return row;
}

/** Same account, same content hash: the duplicate guard's key. */
export interface ContentKey {
  accountId: string;
  contentHash: string;
}

/** Posts that never reached the audience do not make a later identical post a duplicate. */
const NOT_DUPLICATED_STATUSES = ['cancelled', 'failed'] as const satisfies readonly PostStatus[];

const contentKeyOf = (key: ContentKey) => `${key.accountId}:${key.contentHash}`;

/**
 * The most recent post created since `since` for each (account, content hash), among posts that may
 * still reach the audience. Keyed `accountId:contentHash`. One query for any number of keys (a
 * batch), on the (account_id, content_hash, created_at) index.
 */
export async function findDuplicatePosts(executor: Executor, keys: readonly ContentKey[], since: Date, options: { excludePostId?: string } = {}): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const accountIds = keys.map((key) => key.accountId);
  const hashes = keys.map((key) => key.contentHash);
  const rows = await executor
    .selectDistinctOn([posts.accountId, posts.contentHash], { id: posts.id, accountId: posts.accountId, contentHash: posts.contentHash })
    .from(posts)
    .where(
      and(
        sql`(${posts.accountId}, ${posts.contentHash}) in (select * from unnest(${sql.param(accountIds)}::uuid[], ${sql.param(hashes)}::text[]))`,
        gt(posts.createdAt, since),
        notInArray(posts.status, [...NOT_DUPLICATED_STATUSES]),
        options.excludePostId === undefined ? undefined : ne(posts.id, options.excludePostId),
      ),
    )
    .orderBy(posts.accountId, posts.contentHash, desc(posts.createdAt));
  const found = new Map<string, string>();
  for (const row of rows) if (row.contentHash !== null) found.set(contentKeyOf({ accountId: row.accountId, contentHash: row.contentHash }), row.id);
  return found;
}

export function duplicateOf(found: ReadonlyMap<string, string>, key: ContentKey): string | undefined {
  return found.get(contentKeyOf(key));
}

/**
 * Serialises, until the caller's transaction ends, everyone creating or editing a post with one of
 * these (account, content hash) pairs, so the guard's check and the insert cannot be split by a
 * concurrent identical request. Taken in one statement, in a fixed order, so two batches that share
 * keys cannot deadlock on them.
 */
export async function lockContentKeys(tx: Executor, keys: readonly ContentKey[]): Promise<void> {
  const names = [...new Set(keys.map((key) => `post-content:${contentKeyOf(key)}`))].sort();
  if (names.length === 0) return;
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(name, 0)) from (select name from unnest(${sql.param(names)}::text[]) as name order by name) as ordered`);
}

/** One post to insert, and whether the duplicate guard applies to it. */
export interface GuardedPostRow {
  values: NewPostRow & { contentHash: string };
  /** False when the request said allowDuplicate (or the guard is off). */
  guarded: boolean;
}

export interface GuardedInsertResult {
  /** By the input's position. */
  created: Map<number, PostRow>;
  /** Positions refused as duplicates of an existing post, with its id. */
  duplicates: Map<number, string>;
}

/**
 * Inserts posts and their `created` events in the caller's transaction, re-checking the duplicate
 * guard under the content-key locks: a caller checks duplicates first to answer early, but only
 * this check, made while no identical request can commit, is the one that holds.
 */
export async function insertGuardedPosts(tx: Executor, rows: readonly GuardedPostRow[], duplicateSince: Date | null): Promise<GuardedInsertResult> {
  const guarded = duplicateSince === null ? [] : rows.filter((row) => row.guarded).map((row) => row.values);
  await lockContentKeys(tx, guarded);
  const found = duplicateSince === null ? new Map<string, string>() : await findDuplicatePosts(tx, guarded, duplicateSince);
  const duplicates = new Map<number, string>();
  const inserting: Array<{ position: number; values: NewPostRow }> = [];
  rows.forEach((row, position) => {
    const earlier = row.guarded ? duplicateOf(found, row.values) : undefined;
    if (earlier !== undefined) duplicates.set(position, earlier);
    else inserting.push({ position, values: row.values });
  });
  const created = new Map<number, PostRow>();
  if (inserting.length > 0) {
    // RETURNING gives the rows in VALUES order for a plain multi-row insert.
    const inserted = await tx.insert(posts).values(inserting.map((entry) => entry.values)).returning();
    await tx.insert(postEvents).values(inserted.map((post) => ({ postId: post.id, fromStatus: null, toStatus: post.status, code: 'created', message: null, data: null })));
    inserted.forEach((post, index) => {
      const entry = inserting[index];
      if (entry !== undefined) created.set(entry.position, post);
    });
  }
  return { created, duplicates };
}

/** A create's single post, duplicate guard included: the post, or the earlier post it duplicates. */
export async function insertPostUnlessDuplicate(db: Database, row: GuardedPostRow, duplicateSince: Date | null): Promise<{ post: PostRow } | { duplicateOf: string }> {
  return db.transaction(async (tx) => {
    const { created, duplicates } = await insertGuardedPosts(tx, [row], duplicateSince);
    const earlier = duplicates.get(0);
    if (earlier !== undefined) return { duplicateOf: earlier };
    const post = created.get(0);
    if (post === undefined) throw new Error('insert returned no row');
    return { post };
  });
}

/** Statuses whose posts use up an account's publishing limits. */
const LIMIT_COUNTED_STATUSES = ['scheduled', 'publishing', 'processing', 'published'] as const satisfies readonly PostStatus[];

/** When an account's post uses its limits: its send time once sent, its schedule while pending. */
export interface AccountPostTime {
  accountId: string;
  at: Date;
  /** True once the provider call was made: the time is a fact, not a plan. */
  sent: boolean;
}

/**
 * The send times of the accounts' posts that count against their per-minute and daily limits, within
 * (from, to]: `submitted_at` for a post that was sent, `scheduled_at` for one still pending.
 */
export async function accountPostTimes(
  executor: Executor,
  accountIds: readonly string[],
  range: { from: Date; to: Date },
  options: { excludePostId?: string } = {},
): Promise<AccountPostTime[]> {
  if (accountIds.length === 0) return [];
  const at = sql`(case when ${posts.status} = 'scheduled' then ${posts.scheduledAt} else coalesce(${posts.submittedAt}, ${posts.scheduledAt}) end)`;
  return executor
    .select({ accountId: posts.accountId, at: sql<Date>`${at}`.mapWith(posts.scheduledAt), sent: sql<boolean>`${posts.status} <> 'scheduled'` })
    .from(posts)
    .where(
      and(
        inArray(posts.accountId, [...new Set(accountIds)]),
        inArray(posts.status, [...LIMIT_COUNTED_STATUSES]),
        sql`${at} > ${range.from.toISOString()}::timestamptz`,
        sql`${at} <= ${range.to.toISOString()}::timestamptz`,
        options.excludePostId === undefined ? undefined : ne(posts.id, options.excludePostId),
      ),
    );
}

const WEBHOOK_FOR_STATUS: Partial<Record<PostStatus, WebhookEventKey>> = {
  published: 'post.published',
  failed: 'post.failed',
  unconfirmed: 'post.unconfirmed',
};

/** The webhook a post raises on reaching `status`, if any. */
export function postWebhookKey(status: PostStatus): WebhookEventKey | undefined {
  return WEBHOOK_FOR_STATUS[status];
}

/**
 * Records, in the caller's transaction, the webhook the post's current status raises: once per
 * generation, so a worker's retried write cannot raise it twice, while an operator's retry (a new
 * generation) can end and raise it again. Null when webhooks are off, the status raises none, or
 * it was already recorded.
 */
export async function recordPostWebhook(tx: Executor, post: PostRow, url: string | undefined): Promise<string | null> {
  const key = postWebhookKey(post.status);
  if (url === undefined || key === undefined) return null;
  return recordWebhookEvent(tx, { key, data: postView(post), dedupeKey: `${key}:${post.id}:${post.generation}`, url });
}

/**
 * The worker's `waiting` column as answers show it. Read leniently: a wait is advice, and a value
 * this API version cannot read must not turn every read of the post into a 500.
 */
function waitingView(stored: unknown): PostWaiting | null {
  if (stored === null || typeof stored !== 'object') return null;
  const { until, ...rest } = stored as Record<string, unknown>;
  const at = typeof until === 'string' || typeof until === 'number' ? new Date(until) : null;
  const parsed = postWaitingSchema.safeParse({ ...rest, until: at === null || Number.isNaN(at.getTime()) ? null : at.toISOString() });
  return parsed.success ? parsed.data : null;
}

/** The API's (and the webhooks') view of a post. */
export function postView(post: PostRow): PostResponse {
  const tracked = trackedRequestSchema.safeParse(post.request).success;
  const request = tracked ? null : postRequestSchema.safeParse(post.request);
  if (request !== null && !request.success) throw new Error(`post ${post.id} has a stored request that no longer matches its schema`);
  return {
    id: post.id,
    accountId: post.accountId,
    status: post.status,
    mediaType: tracked ? null : post.mediaType === 'photo' ? 'photo' : 'video',
    scheduledAt: post.scheduledAt.toISOString(),
    publishId: post.publishId,
    publicUrl: post.publicUrl,
    attempts: post.attempts,
    generation: post.generation,
    error: post.lastErrorCode === null ? null : { code: post.lastErrorCode, message: post.lastErrorMessage ?? post.lastErrorCode },
    // A parked post is held by its account's expired session, whatever it was waiting for before.
    waiting:
      post.status === 'reauth_required'
        ? { reason: 'reauth_required', until: null, message: 'the account must be re-authorized (POST /v1/accounts/:id/reauthorize; a tiktok account is connected again with POST /v1/accounts/connect); the post resumes then' }
        : waitingView(post.waiting),
    idempotencyKey: post.idempotencyKey,
    request: request === null ? null : request.data,
    tracked,
    submittedAt: post.submittedAt?.toISOString() ?? null,
    finishedAt: post.finishedAt?.toISOString() ?? null,
    createdAt: post.createdAt.toISOString(),
    updatedAt: post.updatedAt.toISOString(),
  };
}

export type PostEventRow = typeof postEvents.$inferSelect;

export function postEventView(event: PostEventRow): PostEventResponse {
  const data = event.data !== null && typeof event.data === 'object' && !Array.isArray(event.data) ? (event.data as Record<string, unknown>) : null;
  return {
    id: event.id,
    from: event.fromStatus,
    to: event.toStatus,
    code: event.code,
    message: event.message,
    data,
    at: event.createdAt.toISOString(),
  };
}

export async function findPost(executor: Executor, postId: string): Promise<PostRow | null> {
  const [row] = await executor.select().from(posts).where(eq(posts.id, postId));
  return row ?? null;
}

/** A post's timeline, oldest first. */
export async function postTimeline(executor: Executor, postId: string): Promise<PostEventRow[]> {
  return executor.select().from(postEvents).where(eq(postEvents.postId, postId)).orderBy(asc(postEvents.id));
}

/**
 * Parks every `scheduled` post of an account (its session expired): one UPDATE and one batch of
 * events, in the caller's transaction. Posts mid-call or being polled park themselves when their
 * own request meets the expired session. Returns the parked post ids.
 */
export async function parkScheduledPosts(tx: Executor, accountId: string, details: { code: string; message: string }): Promise<string[]> {
  const parked = await tx
    .update(posts)
    .set({ status: 'reauth_required', updatedAt: new Date() })
    .where(and(eq(posts.accountId, accountId), eq(posts.status, 'scheduled')))
    .returning({ id: posts.id });
  if (parked.length > 0) {
    await tx
      .insert(postEvents)
      .values(parked.map(({ id }) => ({ postId: id, fromStatus: 'scheduled' as const, toStatus: 'reauth_required' as const, code: details.code, message: details.message })));
  }
  return parked.map(({ id }) => id);
}

/**
 * An event that records a fact without changing the status (e.g. a provider answer that arrived
 * after an operator had already retried the post): the timeline must not lose it.
 */
export async function recordPostNote(tx: Executor, post: Pick<PostRow, 'id' | 'status'>, details: { code: string; message: string; data?: Record<string, unknown> }): Promise<void> {
  await tx.insert(postEvents).values({ postId: post.id, fromStatus: post.status, toStatus: post.status, code: details.code, message: details.message, data: details.data ?? null });
}

/** The post an Idempotency-Key created, if any (the key is unique). */
export async function findPostByIdempotencyKey(executor: Executor, key: string): Promise<PostRow | null> {
  const [row] = await executor.select().from(posts).where(eq(posts.idempotencyKey, key));
  return row ?? null;
}

/**
 * GET /v1/posts: newest first, keyset on (created_at, id), optionally one status and one account.
 * Null when the cursor is not one of ours.
 */
export async function listPosts(
  executor: Executor,
  query: { status?: PostStatus | undefined; accountId?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: PostRow[]; nextCursor: string | null } | null> {
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  if (query.cursor !== undefined && after === null) return null;
  const rows = await executor
    .select()
    .from(posts)
    .where(
      and(
        query.status === undefined ? undefined : eq(posts.status, query.status),
        query.accountId === undefined ? undefined : eq(posts.accountId, query.accountId),
        after === null ? undefined : afterCursorDesc(posts.createdAt, posts.id, after),
      ),
    )
    .orderBy(desc(posts.createdAt), desc(posts.id))
    .limit(query.limit + 1);
  return pageOf(rows, query.limit);
}

/**
 * scheduled|reauth_required → cancelled, through the API. Null when the post is in any other state
 * (once a worker has claimed it, the provider call may be under way) or does not exist.
 */
export async function cancelUnstartedPost(executor: Executor, postId: string): Promise<PostRow | null> {
  return transitionPost(executor, postId, ['scheduled', 'reauth_required'], 'cancelled', { code: 'cancelled', message: 'cancelled through the API' });
}

/**
 * An operator's retry: a failed or unconfirmed post that pubcrawl sent goes back to `scheduled` as a
 * new generation, with its previous attempt's answer cleared (and kept in the event). One
 * transaction: the post is locked while its state is checked. Null when the post does not exist,
 * is in another state, or is a tracked publish (there is no request of ours to send again).
 */
export async function recordOperatorRetry(db: Database, postId: string): Promise<PostRow | null> {
  return db.transaction(async (tx) => {
    const current = await lockPost(tx, postId);
    if (current === null || (current.status !== 'failed' && current.status !== 'unconfirmed')) return null;
    // A tracked publish was made elsewhere: there is no request of ours to send again.
    if (trackedRequestSchema.safeParse(current.request).success) return null;
    return transitionPost(tx, postId, ['failed', 'unconfirmed'], 'scheduled', {
      code: 'retry',
      message: `operator retry of a ${current.status} post`,
      data: { previousGeneration: current.generation, previousPublishId: current.publishId, previousError: current.lastErrorCode },
      patch: {
        generation: current.generation + 1,
        scheduledAt: new Date(),
        attempts: 0,
        publishId: null,
        publicUrl: null,
        submittedAt: null,
        pollDeadlineAt: null,
        finishedAt: null,
        lastErrorCode: null,
        lastErrorMessage: null,
      },
    });
  });
}

const OPERATOR_FOUND = 'an operator found the post on TikTok';

/** The transition for a verdict that ends the post here. */
function finalVerdict(verdict: ResolvePostBody): { to: 'published' | 'failed'; details: TransitionDetails } {
  if (verdict.outcome === 'published') {
    return { to: 'published', details: { code: 'operator_resolved', message: OPERATOR_FOUND, patch: { publicUrl: verdict.publicUrl ?? null, lastErrorCode: null, lastErrorMessage: null } } };
  }
  const message = verdict.reason ?? 'an operator found that the provider never published it';
  return { to: 'failed', details: { code: 'not_published', message, patch: { lastErrorCode: 'not_published', lastErrorMessage: message } } };
}

/**
 * An operator's verdict on an unconfirmed post, in one transaction:
 * - `published` with the publish id: back to `processing` (the status poll finds the outcome);
 * - `published` without one: `published`, with the public URL if given;
 * - `not_published`: `failed` (code `not_published`).
 * A verdict that ends the post records its webhook with the transition, once per generation, as
 * when a worker ends it; `delivery` is that webhook event's id (null when none). `row` is null when
 * the post is not unconfirmed. A publish id that belongs to another post is refused by the unique
 * index (`posts_publish_id_key`).
 */
export async function recordOperatorVerdict(
  db: Database,
  postId: string,
  verdict: ResolvePostBody,
  webhookUrl: string | undefined,
): Promise<{ row: PostRow | null; delivery: string | null }> {
  return db.transaction(async (tx) => {
    if (verdict.outcome === 'published' && verdict.publishId !== undefined) {
      const row = await transitionPost(tx, postId, ['unconfirmed'], 'processing', {
        code: 'operator_resolved',
        message: `${OPERATOR_FOUND} and gave its publish id; polling it to its outcome`,
        data: { publishId: verdict.publishId },
        patch: { publishId: verdict.publishId, publicUrl: verdict.publicUrl ?? null, pollDeadlineAt: null, finishedAt: null, lastErrorCode: null, lastErrorMessage: null },
      });
      return { row, delivery: null };
    }
    const { to, details } = finalVerdict(verdict);
    const row = await transitionPost(tx, postId, ['unconfirmed'], to, details);
    return { row, delivery: row === null ? null : await recordPostWebhook(tx, row, webhookUrl) };
  });
}

/**
 * Puts the posts parked on a re-authorized account back to work, in one transaction with the
 * parked rows locked: those the provider never accepted to `scheduled` (sent again), those it had
 * accepted (they have a publish id) to `processing` (polled again, never re-sent). Each gets a new
 * generation and a fresh poll deadline. Returns the resumed posts, to enqueue after the commit.
 */
export async function unparkPosts(db: Database, accountId: string): Promise<PostRow[]> {
  return db.transaction(async (tx) => {
    const parked = await tx
      .select()
      .from(posts)
      .where(and(eq(posts.accountId, accountId), eq(posts.status, 'reauth_required')))
      .for('update');
    const rows: PostRow[] = [];
    for (const post of parked) {
      const to = post.publishId === null ? 'scheduled' : 'processing';
      const row = await transitionPost(tx, post.id, ['reauth_required'], to, {
        code: 'resumed',
        message: 'the account was re-authorized',
        patch: { generation: post.generation + 1, pollDeadlineAt: null, ...(to === 'scheduled' ? { submittedAt: null } : {}) },
      });
      if (row !== null) rows.push(row);
    }
    return rows;
  });
}
