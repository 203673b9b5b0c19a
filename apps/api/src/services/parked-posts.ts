import { unparkPosts } from '@pubcrawl/db';
import { enqueuePublish, enqueuePublishStatus } from '@pubcrawl/queue';

import type { ApiContext } from '../context';
import { toError } from '@pubcrawl/errors';

/**
 * After an account is re-authorized, its parked posts go back to work: those the provider never
 * accepted to `scheduled` (sent again: the expired session refused them), those it had accepted
 * (they have a publish id) to `processing` (polled again, never re-sent). Each gets a new
 * generation, so its new job ids cannot collide with the finished jobs of the parked run, and a
 * fresh poll deadline (the parked time does not count against PUBLISH_STATUS_HORIZON).
 * Returns how many posts resumed.
 */
export async function resumeParkedPosts(context: ApiContext, accountId: string): Promise<number> {
  const resumed = await unparkPosts(context.db.db, accountId);

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
