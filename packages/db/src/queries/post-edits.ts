import type { PostStatus } from '@pubcrawl/domain';
import { eq } from 'drizzle-orm';
import type { Database } from '../client';
import { postEvents, posts } from '../schema';
import { duplicateOf, findDuplicatePosts, lockContentKeys, type PostRow } from './posts';
import { lockPost } from './publishing';

/** The statuses in which a post has not started publishing, so it may still be changed. */
export const EDITABLE_POST_STATUSES = ['scheduled', 'reauth_required'] as const satisfies readonly PostStatus[];

export interface PostEdit {
  postId: string;
  /** The generation the edit was validated against: a post that moved on since is not overwritten. */
  generation: number;
  request: unknown;
  requestHash: string;
  contentHash: string;
  mediaType: string;
  scheduledAt: Date;
  /** The request fields whose values changed, for the `edited` event. */
  changed: readonly string[];
  /** Null when the guard does not apply (allowDuplicate, or DUPLICATE_WINDOW_HOURS=0). */
  duplicateSince: Date | null;
}

export type PostEditOutcome =
  | { outcome: 'edited'; post: PostRow; previous: PostRow }
  | { outcome: 'not_found' }
  | { outcome: 'not_editable'; status: PostStatus }
  | { outcome: 'moved_on'; generation: number }
  | { outcome: 'duplicate'; duplicateOf: string };

/**
 * An edit of a post that has not started, in one transaction with the post locked: the new request,
 * its hashes, media type and time, a new generation (the old generation's delayed publish job then
 * skips itself, and a worker's claim, which is guarded on the generation, can no longer take the old
 * version), the wait cleared, and an `edited` event naming the changed fields. A worker that claimed
 * the post first holds it in `publishing`, which this refuses.
 */
export async function recordPostEdit(db: Database, edit: PostEdit): Promise<PostEditOutcome> {
  return db.transaction(async (tx): Promise<PostEditOutcome> => {
    const current = await lockPost(tx, edit.postId);
    if (current === null) return { outcome: 'not_found' };
    if (!(EDITABLE_POST_STATUSES as readonly PostStatus[]).includes(current.status)) return { outcome: 'not_editable', status: current.status };
    if (current.generation !== edit.generation) return { outcome: 'moved_on', generation: current.generation };
    if (edit.duplicateSince !== null) {
      const key = { accountId: current.accountId, contentHash: edit.contentHash };
      await lockContentKeys(tx, [key]);
      const earlier = duplicateOf(await findDuplicatePosts(tx, [key], edit.duplicateSince, { excludePostId: current.id }), key);
      if (earlier !== undefined) return { outcome: 'duplicate', duplicateOf: earlier };
    }
    const [post] = await tx
      .update(posts)
      .set({
        request: edit.request,
        requestHash: edit.requestHash,
        contentHash: edit.contentHash,
        mediaType: edit.mediaType,
        scheduledAt: edit.scheduledAt,
        generation: current.generation + 1,
        waiting: null,
        updatedAt: new Date(),
      })
      .where(eq(posts.id, current.id))
      .returning();
    if (post === undefined) throw new Error('the locked post vanished');
    await tx.insert(postEvents).values({
      postId: post.id,
      fromStatus: current.status,
      toStatus: post.status,
      code: 'edited',
      message: `edited: ${edit.changed.join(', ')}`,
      data: { fields: [...edit.changed], previousGeneration: current.generation, previousScheduledAt: current.scheduledAt.toISOString() },
    });
    return { outcome: 'edited', post, previous: current };
  });
}
