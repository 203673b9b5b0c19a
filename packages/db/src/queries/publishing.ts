import { and, eq, isNull } from 'drizzle-orm';
import type { Executor } from '../client';
import { accounts, posts } from '../schema';
import type { AccountRow } from './accounts';
import type { PostRow } from './posts';

export interface PostWithAccount {
  post: PostRow;
  account: AccountRow;
}

/** A post and the account it publishes through, read together: every publish decision needs both. */
export async function findPostWithAccount(executor: Executor, postId: string): Promise<PostWithAccount | null> {
  const [row] = await executor.select({ post: posts, account: accounts }).from(posts).innerJoin(accounts, eq(accounts.id, posts.accountId)).where(eq(posts.id, postId));
  return row ?? null;
}

/** The post, row-locked until the caller's transaction ends, so nothing else moves it meanwhile. */
export async function lockPost(tx: Executor, postId: string): Promise<PostRow | null> {
  const [row] = await tx.select().from(posts).where(eq(posts.id, postId)).for('update');
  return row ?? null;
}

/**
 * Gives a processing post its polling deadline if it has none (posts resumed after a reauthorize come
 * back without one: the parked time does not count). Returns the row as it now is, or null if it
 * already had a deadline.
 */
export async function setMissingPollDeadline(executor: Executor, postId: string, deadline: Date): Promise<PostRow | null> {
  const [row] = await executor
    .update(posts)
    .set({ pollDeadlineAt: deadline })
    .where(and(eq(posts.id, postId), isNull(posts.pollDeadlineAt)))
    .returning();
  return row ?? null;
}
