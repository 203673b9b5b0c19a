import { activeCrawlSegments } from '@pubcrawl/db';
import { crawlJobId, crawlQueueName, enqueueCrawl } from '@pubcrawl/queue';
import type { WorkerContext } from '../context';
import { isLive } from './job-states';

/** Crawls looked at per pass; a backlog larger than this drains over several passes. */
const BATCH = 10_000;

/**
 * Queued and running crawls whose current segment job is gone (a Redis flush, a crash between the
 * checkpoint's hand-over and the enqueue, a job deleted in Bull Board) get it back. The job id comes
 * from the checkpoint (`segment_pages`), so the reconciler knows exactly which job should exist.
 *
 * A job that exists but already finished (failed after its last attempt while Postgres was away, or
 * completed in a way that left the crawl active) is replaced too, and so is a hash a flush left
 * behind that no state list holds. Re-enqueueing a job that was in fact just handing over is
 * harmless: the copy sees that its segment is no longer current and steps aside.
 */
export async function reconcileCrawls(context: WorkerContext): Promise<number> {
  const crawls = await activeCrawlSegments(context.db.db, BATCH);
  let enqueued = 0;
  for (const crawl of crawls) {
    const queue = context.queues[crawlQueueName(crawl.kind)];
    const jobId = crawlJobId(crawl, crawl.segmentPages);
    if (isLive(await queue.getJobState(jobId))) continue;
    // Finished, or debris a flush left (see job-states.ts): either would make BullMQ ignore the add.
    if ((await queue.remove(jobId)) === 0) continue;
    await enqueueCrawl(context.queues, crawl, crawl.segmentPages);
    enqueued += 1;
  }
  return enqueued;
}
