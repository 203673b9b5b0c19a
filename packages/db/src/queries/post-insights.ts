import { and, asc, eq, gt, inArray, isNull, notExists, or, sql } from 'drizzle-orm';
import type { Database, Executor } from '../client';
import { postMetricOffsets, posts, videoSnapshots } from '../schema';
import { recordPostNote, recordPostWebhook, transitionPost, type PostRow } from './posts';
import { lockPost } from './publishing';

/**
 * Queries behind a post's life after it is out: the metric schedule (post_metric_offsets and the
 * video_snapshots it fills) and the unconfirmed post checked against the public feed.
 */

export interface MetricOffsetDue {
  label: string;
  dueAt: Date;
}

export interface OwedMetricOffset {
  postId: string;
  offsetLabel: string;
  dueAt: Date;
}

/**
 * Stores a published post's video id and the offsets it is owed, in one transaction, and returns
 * every offset still owed (new or from an earlier call), so the caller enqueues them all. Safe to
 * call again: existing offsets keep their due time and taken state.
 */
export async function schedulePostMetrics(db: Database, postId: string, videoId: string, offsets: readonly MetricOffsetDue[]): Promise<OwedMetricOffset[]> {
  return db.transaction(async (tx) => {
    // Only a post without a video id (or with this one): a later call must not re-point the snapshots.
    const [post] = await tx
      .update(posts)
      .set({ videoId })
      .where(and(eq(posts.id, postId), or(isNull(posts.videoId), eq(posts.videoId, videoId))))
      .returning({ id: posts.id });
    if (post === undefined) return [];
    if (offsets.length > 0) {
      await tx
        .insert(postMetricOffsets)
        .values(offsets.map((offset) => ({ postId, offsetLabel: offset.label, dueAt: offset.dueAt })))
        .onConflictDoNothing();
    }
    return tx
      .select({ postId: postMetricOffsets.postId, offsetLabel: postMetricOffsets.offsetLabel, dueAt: postMetricOffsets.dueAt })
      .from(postMetricOffsets)
      .where(and(eq(postMetricOffsets.postId, postId), isNull(postMetricOffsets.takenAt)))
      .orderBy(asc(postMetricOffsets.dueAt));
  });
}

export interface PostMetricTarget {
  videoId: string | null;
  dueAt: Date;
  takenAt: Date | null;
  attempts: number;
}

/** The offset a `post_metrics` job is for, with the post's video id; null when there is no such offset. */
export async function findPostMetricTarget(executor: Executor, postId: string, offsetLabel: string): Promise<PostMetricTarget | null> {
  const [row] = await executor
    .select({ videoId: posts.videoId, dueAt: postMetricOffsets.dueAt, takenAt: postMetricOffsets.takenAt, attempts: postMetricOffsets.attempts })
    .from(postMetricOffsets)
    .innerJoin(posts, eq(posts.id, postMetricOffsets.postId))
    .where(and(eq(postMetricOffsets.postId, postId), eq(postMetricOffsets.offsetLabel, offsetLabel)));
  return row ?? null;
}

/** Counts one upstream try at an offset (visible to operators; the processor decides when to stop). */
export async function countPostMetricAttempt(executor: Executor, postId: string, offsetLabel: string): Promise<number> {
  const [row] = await executor
    .update(postMetricOffsets)
    .set({ attempts: sql`${postMetricOffsets.attempts} + 1` })
    .where(and(eq(postMetricOffsets.postId, postId), eq(postMetricOffsets.offsetLabel, offsetLabel)))
    .returning({ attempts: postMetricOffsets.attempts });
  return row?.attempts ?? 0;
}

/** A video's counts; all null when the video could not be read at that offset (deleted, private). */
export interface VideoCounts {
  plays: number | null;
  likes: number | null;
  comments: number | null;
  shares: number | null;
}

/**
 * The snapshot and its offset's `taken_at` in one transaction, the offset row locked first: a job
 * run twice (a stall, a reconciler twin) writes one snapshot, and the second run answers false.
 */
export async function recordPostMetricSnapshot(
  db: Database,
  input: { postId: string; offsetLabel: string; videoId: string; counts: VideoCounts; takenAt: Date },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [offset] = await tx
      .select({ takenAt: postMetricOffsets.takenAt })
      .from(postMetricOffsets)
      .where(and(eq(postMetricOffsets.postId, input.postId), eq(postMetricOffsets.offsetLabel, input.offsetLabel)))
      .for('update');
    if (offset === undefined || offset.takenAt !== null) return false;
    await tx.insert(videoSnapshots).values({ videoId: input.videoId, ...input.counts, postId: input.postId, offsetLabel: input.offsetLabel, takenAt: input.takenAt });
    await tx
      .update(postMetricOffsets)
      .set({ takenAt: input.takenAt })
      .where(and(eq(postMetricOffsets.postId, input.postId), eq(postMetricOffsets.offsetLabel, input.offsetLabel)));
    return true;
  });
}

/** Offsets still owed, in (post, offset) order after `after`, so a reconciler pass walks each once. */
export async function owedPostMetricOffsetsAfter(executor: Executor, after: { postId: string; offsetLabel: string } | null, limit: number): Promise<OwedMetricOffset[]> {
  return executor
    .select({ postId: postMetricOffsets.postId, offsetLabel: postMetricOffsets.offsetLabel, dueAt: postMetricOffsets.dueAt })
    .from(postMetricOffsets)
    .where(
      and(
        isNull(postMetricOffsets.takenAt),
        after === null
          ? undefined
          : or(gt(postMetricOffsets.postId, after.postId), and(eq(postMetricOffsets.postId, after.postId), gt(postMetricOffsets.offsetLabel, after.offsetLabel))),
      ),
    )
    .orderBy(asc(postMetricOffsets.postId), asc(postMetricOffsets.offsetLabel))
    .limit(limit);
}

/**
 * Published posts finished since `since` whose public URL names a video but which have no metric
 * schedule: the commit that published them happened and the scheduling after it did not (a crash
 * in between, or an operator's verdict through the API, which has no schedule of its own).
 */
export async function publishedPostsWithoutMetrics(executor: Executor, since: Date, limit: number): Promise<Array<Pick<PostRow, 'id' | 'publicUrl' | 'finishedAt'>>> {
  return executor
    .select({ id: posts.id, publicUrl: posts.publicUrl, finishedAt: posts.finishedAt })
    .from(posts)
    .where(
      and(
        eq(posts.status, 'published'),
        gt(posts.finishedAt, since),
        sql`${posts.publicUrl} ~ '/video/[0-9]+'`,
        notExists(executor.select({ one: sql`1` }).from(postMetricOffsets).where(eq(postMetricOffsets.postId, posts.id))),
      ),
    )
    .orderBy(asc(posts.finishedAt))
    .limit(limit);
}

export interface PostMetricsView {
  postId: string;
  videoId: string | null;
  snapshots: Array<{ offset: string; takenAt: Date } & VideoCounts>;
  pending: Array<{ offset: string; dueAt: Date }>;
}

/** GET /v1/posts/:id/metrics; null when the post does not exist. */
export async function postMetricsView(executor: Executor, postId: string): Promise<PostMetricsView | null> {
  const [post] = await executor.select({ id: posts.id, videoId: posts.videoId }).from(posts).where(eq(posts.id, postId));
  if (post === undefined) return null;
  const snapshots = await executor
    .select({ offset: videoSnapshots.offsetLabel, takenAt: videoSnapshots.takenAt, plays: videoSnapshots.plays, likes: videoSnapshots.likes, comments: videoSnapshots.comments, shares: videoSnapshots.shares })
    .from(videoSnapshots)
    .where(eq(videoSnapshots.postId, postId))
    .orderBy(asc(videoSnapshots.takenAt), asc(videoSnapshots.id));
  const pending = await executor
    .select({ offset: postMetricOffsets.offsetLabel, dueAt: postMetricOffsets.dueAt })
    .from(postMetricOffsets)
    .where(and(eq(postMetricOffsets.postId, postId), isNull(postMetricOffsets.takenAt)))
    .orderBy(asc(postMetricOffsets.dueAt));
  return {
    postId: post.id,
    videoId: post.videoId,
    snapshots: snapshots.map((snapshot) => ({ ...snapshot, offset: snapshot.offset ?? '' })),
    pending,
  };
}

/** Whether the stored request is visible in the public feed: public to everyone and not a draft. */
const PUBLIC_REQUEST = sql`(${posts.request} -> 'settings' ->> 'privacyLevel') = 'PUBLIC_TO_EVERYONE' and coalesce((${posts.request} -> 'settings' ->> 'draft')::boolean, false) = false`;

/**
 * Unconfirmed, public, non-draft posts submitted (or, without a submission time, ended) after
 * `since`: those whose feed check may still be running and so must have a job.
 */
export async function unconfirmedPostsToVerify(executor: Executor, since: Date, limit: number): Promise<Array<Pick<PostRow, 'id' | 'generation'>>> {
  return executor
    .select({ id: posts.id, generation: posts.generation })
    .from(posts)
    .where(and(eq(posts.status, 'unconfirmed'), sql`coalesce(${posts.submittedAt}, ${posts.finishedAt}, ${posts.updatedAt}) > ${since}`, PUBLIC_REQUEST))
    .orderBy(asc(posts.id))
    .limit(limit);
}

/** Of `videoIds`, those another post already owns (by video id or public URL): never matched twice. */
export async function videoIdsOwnedByOtherPosts(executor: Executor, postId: string, videoIds: readonly string[]): Promise<Set<string>> {
  if (videoIds.length === 0) return new Set();
  const rows = await executor
    .select({ videoId: posts.videoId, publicUrl: posts.publicUrl })
    .from(posts)
    .where(
      and(
        sql`${posts.id} <> ${postId}`,
        or(inArray(posts.videoId, [...videoIds]), sql`substring(${posts.publicUrl} from '/video/([0-9]+)') in (${sql.join(videoIds.map((id) => sql`${id}`), sql`, `)})`),
      ),
    );
  const owned = new Set<string>();
  for (const row of rows) {
    if (row.videoId !== null) owned.add(row.videoId);
    const fromUrl = row.publicUrl === null ? null : (/\/video\/(\d+)/.exec(row.publicUrl)?.[1] ?? null);
    if (fromUrl !== null) owned.add(fromUrl);
  }
  return owned;
}

export interface FeedEvidence {
  videoId: string;
  publicUrl: string;
  /** Epoch seconds, as TikTok reports it. */
  createTime: number;
  matchedOn: string;
  message: string;
}

/**
 * unconfirmed → published on the strength of the public feed, for this generation only: the
 * transition with its `verified_in_feed` event, the video id, and the post.published webhook commit
 * together. `row` is null when the post had moved on (an operator, a late provider answer).
 */
export async function recordVerifiedInFeed(
  db: Database,
  post: Pick<PostRow, 'id' | 'generation'>,
  evidence: FeedEvidence,
  webhookUrl: string | undefined,
): Promise<{ row: PostRow | null; delivery: string | null }> {
  return db.transaction(async (tx) => {
    const moved = await transitionPost(tx, post.id, ['unconfirmed'], 'published', {
      generation: post.generation,
      code: 'verified_in_feed',
      message: evidence.message,
      data: { videoId: evidence.videoId, createTime: evidence.createTime, matchedOn: evidence.matchedOn, publicUrl: evidence.publicUrl },
      patch: { publicUrl: evidence.publicUrl, lastErrorCode: null, lastErrorMessage: null },
    });
    if (moved === null) return { row: null, delivery: null };
    const [row] = await tx.update(posts).set({ videoId: evidence.videoId }).where(eq(posts.id, post.id)).returning();
    const current = row ?? moved;
    return { row: current, delivery: await recordPostWebhook(tx, current, webhookUrl) };
  });
}

/**
 * An event on the post's timeline that says what a feed check found (or why none ran), written
 * only while the post is still unconfirmed in this generation. False when it had moved on.
 */
export async function recordFeedCheckNote(
  db: Database,
  post: Pick<PostRow, 'id' | 'generation'>,
  note: { code: string; message: string; data?: Record<string, unknown> },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const current = await lockPost(tx, post.id);
    if (current === null || current.status !== 'unconfirmed' || current.generation !== post.generation) return false;
    await recordPostNote(tx, current, note);
    return true;
  });
}

/**
 * The account's other posts sent in the window whose video is not known yet (in flight, unconfirmed,
 * or published without a URL), with their captions: any of them could be the video a feed check
 * finds, so a caption match is proof only when none shares it.
 */
export async function rivalPostCaptions(executor: Executor, post: Pick<PostRow, 'id' | 'accountId'>, from: Date, to: Date): Promise<Array<{ id: string; content: string | null }>> {
  return executor
    .select({ id: posts.id, content: sql<string | null>`${posts.request} ->> 'content'` })
    .from(posts)
    .where(
      and(
        eq(posts.accountId, post.accountId),
        sql`${posts.id} <> ${post.id}`,
        or(inArray(posts.status, ['publishing', 'processing', 'unconfirmed']), and(eq(posts.status, 'published'), isNull(posts.videoId), isNull(posts.publicUrl))),
        sql`${posts.submittedAt} between ${from} and ${to}`,
      ),
    )
    .limit(100);
}
