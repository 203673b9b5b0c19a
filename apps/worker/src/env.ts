import { accountPolicyEnv, checkTikTokApp, commonEnv, durationMs, requireCredentialsKeyInProduction, upstreamEnv } from '@pubcrawl/config';
import { z } from 'zod';
import { metricScheduleSchema } from './insights/schedule';

const count = (fallback: number) => z.coerce.number().int().min(1).default(fallback);

// safeExtend: commonEnv carries the Redis topology refinement, and zod refuses `.extend` over its
// keys (upstreamEnv repeats SANDBOX_PORT) on a refined object.
export const workerEnvSchema = commonEnv.safeExtend(upstreamEnv.shape).safeExtend(accountPolicyEnv.shape).extend({
  /** Jobs each worker process runs at once, per queue. Quota, not CPU, is the usual bottleneck. */
  PUBLISH_CONCURRENCY: count(20),
  PUBLISH_STATUS_CONCURRENCY: count(20),
  CRAWL_CONCURRENCY: count(8),
  WEBHOOK_CONCURRENCY: count(10),
  /** Transient failures before a post is failed with its last error. */
  PUBLISH_ATTEMPTS: count(5),
  /** Status polling gives up (status_timeout) this long after the provider accepted the post. */
  PUBLISH_STATUS_HORIZON: durationMs(30 * 60_000),
  /** First status poll delay; doubles each poll up to PUBLISH_STATUS_MAX_INTERVAL_MS. */
  PUBLISH_STATUS_FIRST_INTERVAL_MS: durationMs(5_000),
  PUBLISH_STATUS_MAX_INTERVAL_MS: durationMs(60_000),
  /**
   * Longest a status poll waits for this process's publish burst to pass (every publish slot busy)
   * before it runs anyway. Default 10000; 0 never waits. See publishing/publish-pressure.ts.
   */
  PUBLISH_STATUS_YIELD_MS: z.coerce.number().int().min(0).default(10_000),
  /** The reconciler re-enqueues rows that should have a job but do not. */
  RECONCILE_INTERVAL_MS: durationMs(60_000),
  /** A crawl job yields (re-enqueues itself from its checkpoint) after this many pages or ms. */
  CRAWL_SEGMENT_PAGES: count(50),
  CRAWL_SEGMENT_MS: durationMs(30_000),
  /**
   * BullMQ stalled-job detection: a job whose worker died is taken up again after at most about
   * lockDuration + stalledInterval. Short enough that a crash costs seconds, long enough that a
   * busy event loop does not trigger false stalls.
   */
  JOB_LOCK_DURATION_MS: durationMs(15_000),
  STALLED_INTERVAL_MS: durationMs(5_000),
  /** Active jobs get this long to finish on SIGTERM before they are handed back to the queue. */
  SHUTDOWN_GRACE_MS: durationMs(20_000),
  /** Quotas (see @pubcrawl/tiktok QuotaLimits). */
  TIKAPI_REQUESTS_PER_SECOND: z.coerce.number().positive().default(50),
  POSTING_REQUESTS_PER_SECOND: z.coerce.number().positive().default(50),
  ACCOUNT_STATUS_PER_MINUTE: count(30),
  ACCOUNT_CREATOR_INFO_PER_MINUTE: count(20),
  /** Upstream per-request timeout. */
  UPSTREAM_TIMEOUT_MS: durationMs(15_000),
  /** Retry-After to assume when a 429 carries none. */
  DEFAULT_RETRY_AFTER_MS: durationMs(1_000),
  /** Account-link polls at once; each is one short provider call. */
  ACCOUNT_LINK_CONCURRENCY: count(4),
  /** Snapshot and feed-check jobs at once; each is one or two TikAPI calls. Default 4. */
  INSIGHTS_CONCURRENCY: count(4),
  /** Offsets after publishing at which a post's video stats are snapshotted. Default `1h,6h,24h,72h,7d`. */
  POST_METRICS_SCHEDULE: metricScheduleSchema,
  /**
   * How long after submission an unconfirmed public post is looked for in the account's public feed.
   * Default 1800000 (30 min): a post TikTok accepted is in the feed within minutes, so one still
   * missing by then is reported as not found (it stays unconfirmed for an operator).
   */
  UNCONFIRMED_VERIFY_WINDOW_MS: durationMs(30 * 60_000),
  /** Time between two feed checks of one unconfirmed post. Default 300000 (5 min). */
  UNCONFIRMED_VERIFY_INTERVAL_MS: count(5 * 60_000),
  /**
   * tiktok posts: TikTok moderates for hours, so polling gives up only after this long (default 24 h),
   * with its interval stretching to TIKTOK_STATUS_MAX_INTERVAL_MS (default 5 min).
   */
  TIKTOK_STATUS_HORIZON_MS: durationMs(24 * 60 * 60_000),
  TIKTOK_STATUS_MAX_INTERVAL_MS: durationMs(5 * 60_000),
  /**
   * How long an account's drafts wait after TikTok refused one as too many unopened inbox uploads
   * (spam_risk_too_many_pending_share); TikTok says no time, so the hold is re-checked after this.
   */
  TIKTOK_PENDING_SHARE_HOLD_MS: durationMs(60 * 60_000),
  /** FILE_UPLOAD: the largest media file streamed to TikTok (TikTok's own ceiling is 4 GB). */
  TIKTOK_UPLOAD_MAX_BYTES: z.coerce.number().int().min(1).default(4 * 1024 ** 3),
  /** FILE_UPLOAD chunk size, within TikTok's 5-64 MB; the last chunk takes the remainder. Default 10 MB. */
  TIKTOK_UPLOAD_CHUNK_BYTES: z.coerce.number().int().min(5 * 1024 * 1024).max(64_000_000).default(10_000_000),
  WEBHOOK_URL: z.url().optional(),
  WEBHOOK_SECRET: z.string().min(16).optional(),
}).superRefine((env, context) => {
  requireCredentialsKeyInProduction(env, context);
  checkTikTokApp(env, context, { needsRedirectUri: false });
  // Unsigned webhooks would let anyone who learns the URL forge events.
  if (env.WEBHOOK_URL !== undefined && env.WEBHOOK_SECRET === undefined) {
    context.addIssue({ code: 'custom', path: ['WEBHOOK_SECRET'], message: 'is required when WEBHOOK_URL is set (at least 16 characters)' });
  }
});
export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export const workerEnvSource = process.env;
