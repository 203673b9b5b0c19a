import { pendingWebhookDeliveryIds } from '@pubcrawl/db';
import { enqueueWebhook, jobIds } from '@pubcrawl/queue';
import { QUEUE_NAMES } from '@pubcrawl/domain';
import type { WorkerContext } from '../context';
import { isLive } from './job-states';

/** Pending deliveries whose job is gone (flush, crash between commit and enqueue) are enqueued again. */
export async function reconcileWebhooks(context: WorkerContext): Promise<number> {
  const pending = await pendingWebhookDeliveryIds(context.db.db, 10_000);
  let enqueued = 0;
  for (const id of pending) {
    const queue = context.queues[QUEUE_NAMES.webhooks];
    const jobId = jobIds.webhook(id);
    // A finished job for a still-pending delivery (a failed one left from an older run) and an
    // unknown one (missing, or debris a flush left: see job-states.ts) are replaced; the processor
    // skips a delivery that turns out to be delivered already.
    if (isLive(await queue.getJobState(jobId))) continue;
    if ((await queue.remove(jobId)) === 0) continue;
    await enqueueWebhook(context.queues, id);
    enqueued += 1;
  }
  return enqueued;
}
