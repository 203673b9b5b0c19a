import { posts, transitionPost, type PostRow } from '@pubcrawl/db';
import { enqueuePublish, enqueuePublishStatus } from '@pubcrawl/queue';
import { toError } from '@pubcrawl/tiktok';
import { and, eq } from 'drizzle-orm';
import type { ApiContext } from '../context';

/**
 * After an account is re-authorized, its parked posts go back to work: those the provider never
 * accepted to `scheduled` (sent again: the expired session refused them), those it had accepted
 * (they have a publish id) to `processing` (polled again, never re-sent). Each gets a new
 * generation, so its new job ids cannot collide with the finished jobs of the parked run, and a
 * fresh poll deadline (the parked time does not count against PUBLISH_STATUS_HORIZON).
 * Returns how many posts resumed.
 */
export async function resumeParkedPosts(context: ApiContext, accountId: string): Promise<number> {
  const resumed = await context.db.db.transaction(async (tx) => {
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

  for (const post of resumed) {
    try {
      if (post.status === 'processing') await enqueuePublishStatus(context.queues, post, 0);
      else await enqueuePublish(context.queues, post);
    } catch (caught) {
      // Committed in Postgres already; the worker's reconciler enqueues what is missing.
      context.logger.warn({ err: toError(caught), postId: post.id }, 'could not enqueue a resumed post; the reconciler will');
    }
  }
  return resumed.length;
}
