/**
 * Every status enum and state machine lives here, once. The database enums, the API schemas, the
 * workers and the tests all import these arrays, so a new state cannot be half-added.
 */

/**
 * `posting`: the reseller posting API (seed 004). `tikapi`: scraping (seed 001). `tiktok`: TikTok's
 * own Content Posting API, connected per account through OAuth.
 */
export const PROVIDERS = ['posting', 'tikapi', 'tiktok'] as const;
export type Provider = (typeof PROVIDERS)[number];

/**
 * `unlinked`: the provider no longer lists the account (sync); its due posts wait until it is linked
 * again. `deleted`: removed by an operator; its rows stay for history and a re-link revives it.
 */
export const ACCOUNT_STATUSES = ['active', 'reauth_required', 'unlinked', 'deleted'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

export const POST_STATUSES = [
  'scheduled',
  'publishing',
  'processing',
  'published',
  'failed',
  'unconfirmed',
  'cancelled',
  'reauth_required',
] as const;
export type PostStatus = (typeof POST_STATUSES)[number];

/** Terminal states: nothing moves a post out of them except an operator's explicit retry. */
export const FINAL_POST_STATUSES = ['published', 'failed', 'unconfirmed', 'cancelled'] as const satisfies readonly PostStatus[];

/** States in which a post must have a live job somewhere; the reconciler enforces it. */
export const ACTIVE_POST_STATUSES = ['scheduled', 'publishing', 'processing'] as const satisfies readonly PostStatus[];

/**
 * Allowed transitions. `publishing -> scheduled` is a refusal before the provider accepted the post
 * (429, transient error: backoff); `unconfirmed|failed -> scheduled` is only reachable through the
 * operator's retry. `unconfirmed -> processing` is a provider answer that arrived after we had given
 * the call up for lost: its publish id is the truth, so it is kept and polled.
 */
export const POST_TRANSITIONS: Readonly<Record<PostStatus, readonly PostStatus[]>> = {
  scheduled: ['publishing', 'cancelled', 'reauth_required', 'failed'],
  publishing: ['processing', 'published', 'failed', 'unconfirmed', 'reauth_required', 'scheduled'],
  processing: ['published', 'failed', 'reauth_required'],
  reauth_required: ['scheduled', 'processing', 'cancelled'],
  published: [],
  failed: ['scheduled'],
  unconfirmed: ['scheduled', 'processing', 'published', 'failed'],
  cancelled: [],
};

export function canTransitionPost(from: PostStatus, to: PostStatus): boolean {
  return POST_TRANSITIONS[from].includes(to);
}

export function isFinalPostStatus(status: PostStatus): boolean {
  return (FINAL_POST_STATUSES as readonly PostStatus[]).includes(status);
}

/** Why a due post is not being sent right now; shown as `waiting.reason`. */
/**
 * `pending_share`: TikTok holds too many unopened inbox uploads for the account (drafts only wait).
 * `provider_paused`: the provider refused every account for a while (TikTok's active-user cap).
 */
export const POST_WAIT_REASONS = [
  'account_quota',
  'daily_cap',
  'fleet_quota',
  'rate_limited',
  'account_paused',
  'account_unlinked',
  'reauth_required',
  'pending_share',
  'provider_paused',
] as const;
export type PostWaitReason = (typeof POST_WAIT_REASONS)[number];

export const ACCOUNT_LINK_STATUSES = ['new', 'scanned', 'confirmed', 'expired', 'utilised'] as const;
export type AccountLinkStatus = (typeof ACCOUNT_LINK_STATUSES)[number];

/** `profile` records one stats snapshot of a user; `user_posts` pages a user's videos (by secUid). */
export const CRAWL_KINDS = ['followers', 'hashtag', 'profile', 'user_posts'] as const;
export type CrawlKind = (typeof CRAWL_KINDS)[number];

export const CRAWL_STATUSES = ['queued', 'running', 'completed', 'failed', 'reauth_required', 'cancelled'] as const;
export type CrawlStatus = (typeof CRAWL_STATUSES)[number];

export const ACTIVE_CRAWL_STATUSES = ['queued', 'running'] as const satisfies readonly CrawlStatus[];

export const SCHEDULE_OVERLAP_POLICIES = ['skip', 'queue'] as const;
export type ScheduleOverlapPolicy = (typeof SCHEDULE_OVERLAP_POLICIES)[number];

/**
 * How many runs an `overlap: queue` schedule may hold waiting. A schedule that fires faster than its
 * crawl finishes would otherwise grow its backlog without end, running stale ticks back to back
 * for ever; past this many, further ticks are recorded as skipped, with the reason.
 */
export const MAX_WAITING_RUNS = 100;

export const SCHEDULE_CATCH_UP_POLICIES = ['none', 'last'] as const;
export type ScheduleCatchUpPolicy = (typeof SCHEDULE_CATCH_UP_POLICIES)[number];

export const SCHEDULE_RUN_OUTCOMES = ['started', 'skipped', 'queued'] as const;
export type ScheduleRunOutcome = (typeof SCHEDULE_RUN_OUTCOMES)[number];

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

export const WEBHOOK_EVENT_KEYS = [
  'post.published',
  'post.failed',
  'post.unconfirmed',
  'account.reauth_required',
  'crawl.completed',
  'crawl.failed',
  'provider.paused',
] as const;
export type WebhookEventKey = (typeof WEBHOOK_EVENT_KEYS)[number];
