import type { PostWaitReason } from '@pubcrawl/domain';
import { and, asc, eq, gte, isNotNull, lte, sql } from 'drizzle-orm';
import type { Database, Executor } from '../client';
import { postEvents, posts } from '../schema';
import { transitionPost, type PostRow, type TransitionDetails } from './posts';

export interface PostWait {
  reason: PostWaitReason;
  /** When the hold ends, if anyone can tell (a quota window, a daily cap); null for a pause or unlink. */
  until: Date | null;
  message: string;
}

/** How a wait is stored in posts.waiting, and shown. */
export interface StoredPostWait {
  reason: PostWaitReason;
  until: string | null;
  message: string;
}

/**
 * Says why a due post is not being sent. Written only while the post is still `scheduled` in the
 * same generation (a wait noticed by a stale job must not overwrite a newer state). The timeline
 * gets an event for the first wait of each reason per generation, not one per recheck.
 */
export async function recordPostWait(db: Database, post: Pick<PostRow, 'id' | 'generation'>, wait: PostWait): Promise<void> {
  const stored: StoredPostWait = { reason: wait.reason, until: wait.until?.toISOString() ?? null, message: wait.message };
  await db.transaction(async (tx) => {
    const updated = await tx
      .update(posts)
      .set({ waiting: stored, updatedAt: new Date() })
      .where(and(eq(posts.id, post.id), eq(posts.status, 'scheduled'), eq(posts.generation, post.generation)))
      .returning({ id: posts.id });
    if (updated.length === 0) return;
    await tx.execute(sql`
      insert into ${postEvents} (post_id, from_status, to_status, code, message, data)
      select ${post.id}, 'scheduled', 'scheduled', 'waiting', ${wait.message},
             ${JSON.stringify({ ...stored, generation: post.generation })}::jsonb
      where not exists (
        select 1 from ${postEvents}
        where post_id = ${post.id} and code = 'waiting'
          and data->>'reason' = ${wait.reason} and (data->>'generation')::int = ${post.generation}
      )`);
  });
}

/**
 * The posts of an account sent (or in flight) since `since`, oldest first: what its rolling daily
 * cap counts. `submitted_at` is cleared when the provider refuses a post, so refusals do not count.
 */
export async function accountSubmissionsSince(executor: Executor, accountId: string, since: Date, limit: number): Promise<Date[]> {
  const rows = await executor
    .select({ submittedAt: posts.submittedAt })
    .from(posts)
    .where(and(eq(posts.accountId, accountId), isNotNull(posts.submittedAt), gte(posts.submittedAt, since)))
    .orderBy(asc(posts.submittedAt))
    .limit(limit);
  return rows.flatMap(({ submittedAt }) => (submittedAt === null ? [] : [submittedAt]));
}

/**
 * Puts an account's held posts back to work now (a pause lifted, a link restored): each due post
 * that was waiting gets a new generation, so its new publish job runs at once while the old one,
 * delayed until its recheck, steps aside as stale.
 */
export async function releaseWaitingPosts(executor: Executor, accountId: string, now: Date = new Date()): Promise<PostRow[]> {
  return executor
    .update(posts)
    .set({ generation: sql`${posts.generation} + 1`, waiting: null, updatedAt: now })
    .where(and(eq(posts.accountId, accountId), eq(posts.status, 'scheduled'), isNotNull(posts.waiting), lte(posts.scheduledAt, now)))
    .returning();
}

/** Sets the account's provider-imposed hold (spam_risk_too_many_posts) until `until`. */
export async function holdAccountUntil(executor: Executor, accountId: string, until: Date): Promise<void> {
  await executor.execute(sql`update accounts set daily_cap_until = greatest(coalesce(daily_cap_until, ${until}), ${until}), updated_at = now() where id = ${accountId}`);
}

export type CappedClaim = { kind: 'claimed'; post: PostRow } | { kind: 'capped'; submissions: Date[] } | { kind: 'gone' };

/**
 * `scheduled -> publishing` only while the account's rolling day has room. The count and the claim
 * share one transaction under a per-account advisory lock: counted separately, five posts due at one
 * instant all saw room under a cap of three and all went.
 */
export async function claimWithinDailyCap(
  db: Database,
  post: Pick<PostRow, 'id' | 'generation' | 'accountId'>,
  cap: number,
  since: Date,
  details: TransitionDetails,
): Promise<CappedClaim> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`pubcrawl-daily-cap:${post.accountId}`}, 0))`);
    const submissions = await accountSubmissionsSince(tx, post.accountId, since, cap);
    if (submissions.length >= cap) return { kind: 'capped', submissions };
    const claimed = await transitionPost(tx, post.id, ['scheduled'], 'publishing', { ...details, generation: post.generation });
    return claimed === null ? { kind: 'gone' } : { kind: 'claimed', post: claimed };
  });
}
