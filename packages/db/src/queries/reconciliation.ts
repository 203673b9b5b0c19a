import { ACTIVE_POST_STATUSES, type Provider } from '@pubcrawl/domain';
import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import type { Executor } from '../client';
import { accounts, posts, webhookDeliveries } from '../schema';
import type { PostRow } from './posts';

/** What the posts reconciler needs of a post to tell which job it must have. */
export type ActivePost = Pick<PostRow, 'id' | 'status' | 'generation' | 'publishId' | 'scheduledAt' | 'submittedAt' | 'updatedAt'> & {
  /** Its account's provider: how long a call can be in flight, and how long polling lasts, depend on it. */
  provider: Provider;
};

/**
 * Posts that must have a live job (scheduled, publishing, processing), `limit` at a time in id order
 * after `afterId`, so a reconciler walks every one once however many there are.
 */
export async function activePostsAfter(executor: Executor, afterId: string | null, limit: number): Promise<ActivePost[]> {
  return executor
    .select({
      id: posts.id,
      status: posts.status,
      generation: posts.generation,
      publishId: posts.publishId,
      scheduledAt: posts.scheduledAt,
      submittedAt: posts.submittedAt,
      updatedAt: posts.updatedAt,
      provider: accounts.provider,
    })
    .from(posts)
    .innerJoin(accounts, eq(accounts.id, posts.accountId))
    .where(and(inArray(posts.status, [...ACTIVE_POST_STATUSES]), afterId === null ? undefined : gt(posts.id, afterId)))
    .orderBy(asc(posts.id))
    .limit(limit);
}

/** Webhook deliveries still to be made, at most `limit` of them. */
export async function pendingWebhookDeliveryIds(executor: Executor, limit: number): Promise<string[]> {
  const rows = await executor.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(eq(webhookDeliveries.status, 'pending')).limit(limit);
  return rows.map((row) => row.id);
}
