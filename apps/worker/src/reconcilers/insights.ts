import { owedPostMetricOffsetsAfter, publishedPostsWithoutMetrics, unconfirmedPostsToVerify } from '@pubcrawl/db';
import { QUEUE_NAMES } from '@pubcrawl/domain';
import { enqueuePostMetrics, enqueueUnconfirmedCheck, jobIds } from '@pubcrawl/queue';
import type { WorkerContext } from '../context';
import { startPostMetrics } from '../insights/follow-up';
import { isLive } from './job-states';

const PAGE = 1_000;

/**
 * Rebuilds the insights queue from Postgres: every owed metric offset and every unconfirmed post
 * still inside its feed-check window must have a live job; published posts that never got a metric
 * schedule (a crash after the publishing commit, an operator's verdict through the API) get one.
 */
export async function reconcileInsights(context: WorkerContext): Promise<number> {
  return (await scheduleMissingMetrics(context)) + (await reenqueueOwedOffsets(context)) + (await reenqueueFeedChecks(context));
}

/** Only posts published within the longest offset: anything older owes nothing any more. */
async function scheduleMissingMetrics(context: WorkerContext): Promise<number> {
  const longest = Math.max(0, ...context.env.POST_METRICS_SCHEDULE.map((offset) => offset.ms));
  const posts = await publishedPostsWithoutMetrics(context.db.db, new Date(Date.now() - longest), PAGE);
  let enqueued = 0;
  for (const post of posts) enqueued += await startPostMetrics(context, post);
  return enqueued;
}

async function reenqueueOwedOffsets(context: WorkerContext): Promise<number> {
  const queue = context.queues[QUEUE_NAMES.insights];
  let enqueued = 0;
  let after: { postId: string; offsetLabel: string } | null = null;
  for (;;) {
    const owed = await owedPostMetricOffsetsAfter(context.db.db, after, PAGE);
    for (const offset of owed) {
      const jobId = jobIds.postMetrics(offset.postId, offset.offsetLabel);
      // As for webhooks: a finished job for a still-owed offset and debris are replaced (see job-states.ts).
      if (isLive(await queue.getJobState(jobId))) continue;
      if ((await queue.remove(jobId)) === 0) continue;
      await enqueuePostMetrics(context.queues, offset.postId, offset.offsetLabel, offset.dueAt.getTime() - Date.now());
      enqueued += 1;
    }
    const last = owed.at(-1);
    if (owed.length < PAGE || last === undefined) return enqueued;
    after = { postId: last.postId, offsetLabel: last.offsetLabel };
  }
}

/**
 * A feed check's job ends only when the window has closed (or the post moved on), so an unconfirmed
 * post inside its window without a live job lost it: it is enqueued again to look at once.
 */
async function reenqueueFeedChecks(context: WorkerContext): Promise<number> {
  const queue = context.queues[QUEUE_NAMES.insights];
  const posts = await unconfirmedPostsToVerify(context.db.db, new Date(Date.now() - context.env.UNCONFIRMED_VERIFY_WINDOW_MS), PAGE);
  let enqueued = 0;
  for (const post of posts) {
    const jobId = jobIds.verifyUnconfirmed(post.id, post.generation);
    if (isLive(await queue.getJobState(jobId))) continue;
    if ((await queue.remove(jobId)) === 0) continue;
    await enqueueUnconfirmedCheck(context.queues, post, 0);
    enqueued += 1;
  }
  return enqueued;
}
