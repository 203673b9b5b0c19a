import { z } from 'zod';

/**
 * The job catalog: every queue's name, payload schema and retry policy, in one place. Producers
 * (api, scheduler, reconcilers) and processors (worker) both take their types from here.
 *
 * Payloads carry only row ids and the row's generation: Postgres holds the truth, so a job can always
 * be rebuilt from its row (by the reconciler after a Redis flush) and is never stale.
 */
export const QUEUE_NAMES = {
  publish: 'publish',
  publishStatus: 'publish-status',
  crawlFollowers: 'crawl-followers',
  crawlHashtag: 'crawl-hashtag',
  webhooks: 'webhooks',
  accountLinks: 'account-links',
  crawlProfiles: 'crawl-profiles',
  insights: 'insights',
} as const;
export type QueueName = (typeof QUEUE_NAMES)[keyof typeof QUEUE_NAMES];
export const ALL_QUEUE_NAMES: readonly QueueName[] = Object.values(QUEUE_NAMES);

/**
 * A post's generation travels with its jobs: an operator's retry (or a resume) starts a new one, and
 * a job of an older generation must step aside instead of acting on the post.
 */
const generation = z.number().int().min(0).describe("The row's generation when the job was made");

export const publishJobSchema = z.object({ postId: z.uuid(), generation });
export const publishStatusJobSchema = z.object({ postId: z.uuid(), generation });
/** One segment of a crawl: `segment` is the checkpoint's page count where the segment starts. */
export const crawlJobSchema = z.object({ crawlId: z.uuid(), generation, segment: z.number().int().min(0) });
export const webhookJobSchema = z.object({ deliveryId: z.uuid() });
/** Polls one QR link attempt with the provider until it is confirmed, expired or used. */
export const accountLinkJobSchema = z.object({ linkId: z.uuid() });

export type PublishJob = z.infer<typeof publishJobSchema>;
export type PublishStatusJob = z.infer<typeof publishStatusJobSchema>;
export type CrawlJob = z.infer<typeof crawlJobSchema>;
export type WebhookJob = z.infer<typeof webhookJobSchema>;
export type AccountLinkJob = z.infer<typeof accountLinkJobSchema>;

/**
 * Work that follows a post after it is out: a stats snapshot at one of POST_METRICS_SCHEDULE's
 * offsets, or an unconfirmed post checked against the account's public feed.
 */
export const insightsJobSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('post_metrics'), postId: z.uuid(), offset: z.string().min(1).max(16) }),
  z.object({ kind: z.literal('verify_unconfirmed'), postId: z.uuid(), generation }),
]);
export type InsightsJob = z.infer<typeof insightsJobSchema>;

export interface JobDefinition<Schema extends z.ZodType> {
  queue: QueueName;
  payload: Schema;
  /**
   * Attempts before a job is failed for good. Quota waits (429) and parking (428) never consume
   * one: those move the job to delayed without throwing a failure.
   */
  attempts: number;
  /** Base of the exponential backoff; BullMQ applies full jitter on top. */
  backoffMs: number;
  /** Finished jobs kept for Bull Board; Postgres keeps the history, Redis need not. */
  keepCompleted: number;
  keepFailed: number;
}

export const JOB_CATALOG = {
  [QUEUE_NAMES.publish]: { queue: 'publish', payload: publishJobSchema, attempts: 5, backoffMs: 5_000, keepCompleted: 1_000, keepFailed: 5_000 },
  [QUEUE_NAMES.publishStatus]: {
    queue: 'publish-status',
    payload: publishStatusJobSchema,
    attempts: 10,
    backoffMs: 5_000,
    keepCompleted: 1_000,
    keepFailed: 5_000,
  },
  [QUEUE_NAMES.crawlFollowers]: {
    queue: 'crawl-followers',
    payload: crawlJobSchema,
    attempts: 8,
    backoffMs: 2_000,
    keepCompleted: 1_000,
    keepFailed: 5_000,
  },
  [QUEUE_NAMES.crawlHashtag]: { queue: 'crawl-hashtag', payload: crawlJobSchema, attempts: 8, backoffMs: 2_000, keepCompleted: 1_000, keepFailed: 5_000 },
  [QUEUE_NAMES.webhooks]: { queue: 'webhooks', payload: webhookJobSchema, attempts: 12, backoffMs: 2_000, keepCompleted: 1_000, keepFailed: 5_000 },
  [QUEUE_NAMES.crawlProfiles]: { queue: 'crawl-profiles', payload: crawlJobSchema, attempts: 8, backoffMs: 2_000, keepCompleted: 1_000, keepFailed: 5_000 },
  [QUEUE_NAMES.insights]: { queue: 'insights', payload: insightsJobSchema, attempts: 8, backoffMs: 5_000, keepCompleted: 1_000, keepFailed: 5_000 },
  [QUEUE_NAMES.accountLinks]: { queue: 'account-links', payload: accountLinkJobSchema, attempts: 10, backoffMs: 2_000, keepCompleted: 1_000, keepFailed: 1_000 },
} as const satisfies Record<QueueName, JobDefinition<z.ZodType>>;

export type JobPayload<Name extends QueueName> = z.infer<(typeof JOB_CATALOG)[Name]['payload']>;
