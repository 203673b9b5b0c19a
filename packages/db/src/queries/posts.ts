import { canTransitionPost, type PostStatus } from '@pubcrawl/schemas';
import { and, eq, inArray } from 'drizzle-orm';
import type { Executor } from '../client';
import { postEvents, posts } from '../schema';

export type PostRow = typeof posts.$inferSelect;
export type PostPatch = Partial<
  Pick<
    PostRow,
    'publishId' | 'publicUrl' | 'attempts' | 'lastErrorCode' | 'lastErrorMessage' | 'submittedAt' | 'pollDeadlineAt' | 'finishedAt' | 'generation' | 'scheduledAt'
  >
>;

export interface TransitionDetails {
  code?: string | null;
  message?: string | null;
  data?: Record<string, unknown> | null;
  patch?: PostPatch;
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
 * Moves a post from one of `from` to `to` and appends its event, in the caller's transaction.
 * The conditional UPDATE is the concurrency guard: if another worker (or the API) moved the post
 * first, nothing is written and `null` comes back, so two racing actors can never both act.
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
  const [current] = await tx
    .select({ status: posts.status })
    .from(posts)
    .where(and(eq(posts.id, postId), inArray(posts.status, [...from])))
    .for('update');
  if (!current) return null;
  const [updated] = await tx
    .update(posts)
    .set({
      status: to,
      ...details.patch,
      ...(isFinal && details.patch?.finishedAt === undefined ? { finishedAt: new Date() } : {}),
      updatedAt: new Date(),
    })
    .where(eq(posts.id, postId))
    .returning();
  if (!updated) return null;
  await tx.insert(postEvents).values({
    postId,
    fromStatus: current.status,
    toStatus: to,
    code: details.code ?? null,
    message: details.message ?? null,
    data: details.data ?? null,
  });
  return updated;
}

/** The event for a post's creation; written in the transaction that inserts the post. */
export async function recordPostCreated(tx: Executor, post: PostRow): Promise<void> {
  await tx.insert(postEvents).values({ postId: post.id, fromStatus: null, toStatus: post.status, code: 'created', message: null, data: null });
}
