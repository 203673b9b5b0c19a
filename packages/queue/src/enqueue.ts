import { QUEUE_NAMES, type CrawlKind } from '@pubcrawl/domain';
import { jobIds } from './job-ids';
import type { Queues } from './queues';

/**
 * Typed producers. Each derives its job id from the row, so calling one twice (a retried request,
 * the reconciler after a Redis flush) never creates a second job for the same work.
 */
export async function enqueuePublish(queues: Queues, post: PublishablePost): Promise<void> {
  const job = publishJob(post);
  await queues[QUEUE_NAMES.publish].add(job.name, job.data, job.opts);
}

/**
 * Many publish jobs in one Redis round trip (BullMQ's addBulk runs the same add script for each),
 * with the ids `enqueuePublish` gives them, so a job that already exists is left alone.
 */
export async function enqueuePublishes(queues: Queues, posts: readonly PublishablePost[]): Promise<void> {
  if (posts.length === 0) return;
  await queues[QUEUE_NAMES.publish].addBulk(posts.map(publishJob));
}

type PublishablePost = { id: string; generation: number; scheduledAt: Date };

/**
 * How long before its post's time a publish job becomes due. A delayed job is promoted when a worker
 * wakes from its blocking wait, and Redis ends a blocking command's timeout on its own clock tick
 * (10 a second at the default `hz`): a burst due at one instant started 120-160 ms late. Due a
 * little early, the job reads its post and builds the request meanwhile, and the publish processor
 * waits out the rest, so nothing is ever sent before `scheduledAt`.
 */
export const PUBLISH_WAKE_AHEAD_MS = 500;

/** A post generation's publish job, due PUBLISH_WAKE_AHEAD_MS before the post's time. */
function publishJob(post: PublishablePost) {
  return {
    name: QUEUE_NAMES.publish,
    data: { postId: post.id, generation: post.generation },
    opts: { jobId: `${jobIds.publish(post.id)}-${post.generation}`, delay: Math.max(0, post.scheduledAt.getTime() - Date.now() - PUBLISH_WAKE_AHEAD_MS) },
  };
}

export async function enqueuePublishStatus(queues: Queues, post: { id: string; generation: number }, delayMs: number): Promise<void> {
  await queues[QUEUE_NAMES.publishStatus].add(
    QUEUE_NAMES.publishStatus,
    { postId: post.id, generation: post.generation },
    { jobId: jobIds.publishStatus(post.id, post.generation), delay: Math.max(0, delayMs) },
  );
}

/**
 * Several status polls in one Redis round trip (BullMQ's addBulk: one MULTI of the same add script),
 * with the same ids as `enqueuePublishStatus`, so an id that already exists is left alone.
 */
export async function enqueuePublishStatuses(queues: Queues, polls: ReadonlyArray<{ post: { id: string; generation: number }; delayMs: number }>): Promise<void> {
  if (polls.length === 0) return;
  await queues[QUEUE_NAMES.publishStatus].addBulk(
    polls.map(({ post, delayMs }) => ({
      name: QUEUE_NAMES.publishStatus,
      data: { postId: post.id, generation: post.generation },
      opts: { jobId: jobIds.publishStatus(post.id, post.generation), delay: Math.max(0, delayMs) },
    })),
  );
}

export type CrawlQueueName = typeof QUEUE_NAMES.crawlFollowers | typeof QUEUE_NAMES.crawlHashtag | typeof QUEUE_NAMES.crawlProfiles;

/** Profiles and a user's posts share a queue: both are small per run, unlike a follower list. */
export function crawlQueueName(kind: CrawlKind): CrawlQueueName {
  switch (kind) {
    case 'followers':
      return QUEUE_NAMES.crawlFollowers;
    case 'hashtag':
      return QUEUE_NAMES.crawlHashtag;
    case 'profile':
    case 'user_posts':
      return QUEUE_NAMES.crawlProfiles;
  }
}

/** Job id `crawl-<id>-g<generation>-p<pages>`: the checkpoint's page count names the segment. */
export function crawlJobId(crawl: { id: string; generation: number }, pages: number): string {
  return `crawl-${crawl.id}-g${crawl.generation}-p${pages}`;
}

export async function enqueueCrawl(
  queues: Queues,
  crawl: { id: string; kind: CrawlKind; generation: number },
  pages: number,
  options: { delayMs?: number } = {},
): Promise<void> {
  const name = crawlQueueName(crawl.kind);
  await queues[name].add(name, { crawlId: crawl.id, generation: crawl.generation, segment: pages }, { jobId: crawlJobId(crawl, pages), delay: options.delayMs ?? 0 });
}

export async function enqueueWebhook(queues: Queues, deliveryId: string): Promise<void> {
  await queues[QUEUE_NAMES.webhooks].add(QUEUE_NAMES.webhooks, { deliveryId }, { jobId: jobIds.webhook(deliveryId) });
}

export async function enqueueAccountLinkPoll(queues: Queues, linkId: string, delayMs: number): Promise<void> {
  await queues[QUEUE_NAMES.accountLinks].add(QUEUE_NAMES.accountLinks, { linkId }, { jobId: jobIds.accountLink(linkId), delay: Math.max(0, delayMs) });
}

/** A post's snapshot at one offset of POST_METRICS_SCHEDULE; the id makes a re-enqueue harmless. */
export async function enqueuePostMetrics(queues: Queues, postId: string, offset: string, delayMs: number): Promise<void> {
  await queues[QUEUE_NAMES.insights].add(QUEUE_NAMES.insights, { kind: 'post_metrics', postId, offset }, { jobId: jobIds.postMetrics(postId, offset), delay: Math.max(0, delayMs) });
}

/** Checks an unconfirmed post against the account's public feed until UNCONFIRMED_VERIFY_WINDOW_MS ends. */
export async function enqueueUnconfirmedCheck(queues: Queues, post: { id: string; generation: number }, delayMs: number): Promise<void> {
  await queues[QUEUE_NAMES.insights].add(
    QUEUE_NAMES.insights,
    { kind: 'verify_unconfirmed', postId: post.id, generation: post.generation },
    { jobId: jobIds.verifyUnconfirmed(post.id, post.generation), delay: Math.max(0, delayMs) },
  );
}
