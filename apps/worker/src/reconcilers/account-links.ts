import { expireStaleAccountLinks, pendingAccountLinks } from '@pubcrawl/db';
import { enqueueAccountLinkPoll, jobIds } from '@pubcrawl/queue';
import { QUEUE_NAMES } from '@pubcrawl/domain';
import type { WorkerContext } from '../context';
import { isLive } from './job-states';

/**
 * QR links still waiting on the provider get their poll job back after a flush; links whose code
 * ran out while nothing polled them are marked expired.
 */
export async function reconcileAccountLinks(context: WorkerContext): Promise<number> {
  await expireStaleAccountLinks(context.db.db);
  const queue = context.queues[QUEUE_NAMES.accountLinks];
  let enqueued = 0;
  for (const link of await pendingAccountLinks(context.db.db)) {
    const jobId = jobIds.accountLink(link.id);
    if (isLive(await queue.getJobState(jobId))) continue;
    if ((await queue.remove(jobId)) === 0) continue;
    await enqueueAccountLinkPoll(context.queues, link.id, 0);
    enqueued += 1;
  }
  return enqueued;
}
