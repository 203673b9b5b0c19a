import { releaseWaitingPosts } from '@pubcrawl/db';
import { toError } from '@pubcrawl/errors';
import { enqueuePublishes } from '@pubcrawl/queue';
import type { ApiContext } from '../context';
import { resumeParkedCrawls } from './parked-crawls';
import { resumeParkedPosts } from './parked-posts';

/**
 * After an account is re-authorized, everything parked for it goes back to work: posts and crawls
 * in `reauth_required` are moved back in Postgres (with their events) and re-enqueued.
 */
export async function resumeParkedWork(context: ApiContext, accountId: string): Promise<{ posts: number; crawls: number }> {
  const posts = await resumeParkedPosts(context, accountId);
  const crawls = await resumeParkedCrawls(context, accountId);
  return { posts, crawls };
}

/**
 * Sends an account's held posts now instead of at their next recheck (ACCOUNT_WAIT_RECHECK_MS):
 * after a pause is lifted, or the provider lists the account again.
 */
export async function resumeWaitingPosts(context: ApiContext, accountId: string): Promise<number> {
  const released = await releaseWaitingPosts(context.db.db, accountId);
  try {
    await enqueuePublishes(context.queues, released);
  } catch (caught) {
    // Committed in Postgres already; the worker's reconciler enqueues what is missing.
    context.logger.warn({ err: toError(caught), accountId }, 'could not enqueue released posts; the reconciler will');
  }
  return released.length;
}
