import { webhookDeliveries } from '@pubcrawl/db';
import { enqueueWebhook, jobIds } from '@pubcrawl/queue';
import { QUEUE_NAMES } from '@pubcrawl/schemas';
import { eq } from 'drizzle-orm';
import type { WorkerContext } from '../context';

/** Pending deliveries whose job is gone (flush, crash between commit and enqueue) are enqueued again. */
export async function reconcileWebhooks(context: WorkerContext): Promise<number> {
  const pending = await context.db.db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.status, 'pending'))
    .limit(10_000);
  let enqueued = 0;
  for (const { id } of pending) {
    const job = await context.queues[QUEUE_NAMES.webhooks].getJob(jobIds.webhook(id));
    if (job) {
      // A failed job for a still-pending delivery is left over from an older run; replace it.
      if (!(await job.isFailed())) continue;
      await job.remove();
    }
    await enqueueWebhook(context.queues, id);
    enqueued += 1;
  }
  return enqueued;
}
