import {
  accountReauthDedupeKey,
  accountView,
  markAccountReauthRequired,
  parkScheduledPosts,
  postWebhookKey,
  recordPostWebhook,
  transitionPost,
  type AccountRow,
  type Database,
  type PostPatch,
  type PostRow,
  type TransitionDetails,
} from '@pubcrawl/db';
import type { PostStatus, Provider } from '@pubcrawl/domain';
import { Ambiguous, type RateLimited, type UpstreamError } from '@pubcrawl/tiktok';
import type { WorkerContext } from '../context';
import { dispatchEvents, recordEvent } from '../events';
import { followUpEndedPost } from '../insights/follow-up';
import { startStatusPoll } from './status-poll-batch';
import { TIKTOK_SEND_CALLS } from './tiktok-quota';

/**
 * The ways a post's publishing ends or pauses. Each is one transaction: the guarded transition, its
 * post_events row and its webhook event commit together; the event is dispatched after the commit.
 * A null result means the post had already moved on (another worker, the API, the reconciler), so
 * nothing was written.
 */


/**
 * Added to UPSTREAM_TIMEOUT_MS to get the longest a publish call can still be in flight after
 * `submittedAt`: the result transaction, pool waits, and clock skew between worker hosts.
 */
export const IN_FLIGHT_MARGIN_MS = 5_000;

/**
 * When a `publishing` post without a publish id can be declared unconfirmed: by then any worker that
 * was mid-call has either recorded the answer or given up (the call is bounded by
 * UPSTREAM_TIMEOUT_MS). Declaring it sooner would race a live call and raise a false alarm.
 */
export function inFlightSettledAt(post: Pick<PostRow, 'submittedAt' | 'updatedAt'>, upstreamTimeoutMs: number): number {
  return (post.submittedAt ?? post.updatedAt).getTime() + upstreamTimeoutMs + IN_FLIGHT_MARGIN_MS;
}

/**
 * The longest a provider's send can take inside its publishing window: one bounded call for the
 * posting API; for TikTok an init, and after `access_token_invalid` a refresh and a second init.
 */
export function sendWindowMs(context: WorkerContext, provider: Provider): number {
  return (provider === 'tiktok' ? TIKTOK_SEND_CALLS : 1) * context.env.UPSTREAM_TIMEOUT_MS;
}

export interface EndDetails {
  code: string;
  message: string;
  data?: Record<string, unknown>;
  patch?: PostPatch;
  /** -1 gives the claim's attempt back: the provider refused the call, so none was spent. */
  attemptsDelta?: number;
}

/**
 * Moves a post to published, failed or unconfirmed and raises its webhook, once per generation.
 * Failures and unconfirmed outcomes keep their code and message on the post: a failure without a
 * reason is one of the three things this system must never do.
 */
export async function endPost(
  context: WorkerContext,
  post: Pick<PostRow, 'id'>,
  from: readonly PostStatus[],
  to: 'published' | 'failed' | 'unconfirmed',
  details: EndDetails,
  db: Database = context.db.db,
): Promise<PostRow | null> {
  const error = to === 'published' ? { lastErrorCode: null, lastErrorMessage: null } : { lastErrorCode: details.code, lastErrorMessage: details.message };
  const transition = { code: details.code, message: details.message, data: details.data ?? null, patch: { ...details.patch, ...error }, ...(details.attemptsDelta === undefined ? {} : { attemptsDelta: details.attemptsDelta }) };
  if (postWebhookKey(to) === undefined || context.env.WEBHOOK_URL === undefined) {
    // Nothing to raise: the transition and its event row are one statement, no transaction needed.
    const row = await transitionPost(db, post.id, from, to, transition);
    await followUpEndedPost(context, row);
    return row;
  }
  const result = await db.transaction(async (tx) => {
    const row = await transitionPost(tx, post.id, from, to, transition);
    if (row === null) return null;
    return { row, delivery: await recordPostWebhook(tx, row, context.env.WEBHOOK_URL) };
  });
  if (result === null) return null;
  await dispatchEvents(context, [result.delivery]);
  await followUpEndedPost(context, result.row);
  return result.row;
}

/**
 * How long publishing waits after a 429: the announced wait rounded UP to whole seconds. The
 * upstream client prefers the precise X-RateLimit-Reset-Ms (right for a crawl that spends 50
 * requests a second), but a publish is a few calls a minute per account, so waiting out the
 * whole-second Retry-After as well costs nothing and honours both headers, whichever a provider
 * means.
 */
export function publishRetryAfterMs(error: RateLimited): number {
  return Math.max(1_000, Math.ceil(error.retryAfterMs / 1_000) * 1_000);
}

/**
 * How long a submitted post is polled before `status_timeout`: TikTok moderates for hours, so its
 * horizon is its own (TIKTOK_STATUS_HORIZON_MS), as is the longest gap between two polls.
 */
export function statusHorizonMs(context: WorkerContext, provider: Provider): number {
  return provider === 'tiktok' ? context.env.TIKTOK_STATUS_HORIZON_MS : context.env.PUBLISH_STATUS_HORIZON;
}

export function statusMaxIntervalMs(context: WorkerContext, provider: Provider): number {
  return provider === 'tiktok' ? context.env.TIKTOK_STATUS_MAX_INTERVAL_MS : context.env.PUBLISH_STATUS_MAX_INTERVAL_MS;
}

/** The code stored for an upstream failure: the provider's own when it gave one. */
export function upstreamErrorCode(error: UpstreamError): string {
  if (error instanceof Ambiguous) return 'outcome_unknown';
  if (error.code !== undefined) return error.code;
  return error.httpStatus === undefined ? `upstream_${error.kind.toLowerCase()}` : `http_${error.httpStatus}`;
}

/**
 * The account's session expired (401 access_token_invalid, the posting API's 428): the account is
 * flagged (raising `account.reauth_required` once per expiry), this post parks, and so does every
 * scheduled post of the account, so none of them spends a call on a dead session. Reauthorizing
 * the account resumes them all (apps/api resumeParkedPosts).
 */
export async function parkForExpiredSession(
  context: WorkerContext,
  post: Pick<PostRow, 'id'>,
  from: readonly PostStatus[],
  account: Pick<AccountRow, 'id'>,
  reason: string,
  refusal: Pick<TransitionDetails, 'attemptsDelta' | 'patch'> = {},
  db: Database = context.db.db,
): Promise<{ post: PostRow | null; parkedOthers: number }> {
  const result = await db.transaction(async (tx) => {
    const parkedAccount = await markAccountReauthRequired(tx, account.id, reason);
    const delivery = parkedAccount === null ? null : await recordEvent(context, tx, 'account.reauth_required', accountView(parkedAccount), accountReauthDedupeKey(parkedAccount));
    const row = await transitionPost(tx, post.id, from, 'reauth_required', { code: 'session_expired', message: reason, ...refusal });
    const others = await parkScheduledPosts(tx, account.id, { code: 'account_reauth_required', message: 'the account must be re-authorized before it can publish' });
    return { row, delivery, parkedOthers: others.length };
  });
  await dispatchEvents(context, [result.delivery]);
  return { post: result.row, parkedOthers: result.parkedOthers };
}

/** A post whose account is already parked: it waits with the account instead of calling out. */
export async function parkWithAccount(
  context: WorkerContext,
  post: Pick<PostRow, 'id'>,
  from: readonly PostStatus[],
  db: Database = context.db.db,
): Promise<PostRow | null> {
  return transitionPost(db, post.id, from, 'reauth_required', { code: 'account_reauth_required', message: 'the account must be re-authorized before it can publish' });
}

/**
 * Starts (or, idempotently, re-asserts) the status poll chain of a post the provider accepted. The
 * add shares a Redis round trip with the other publishes finishing at the same moment (see
 * status-poll-batch.ts); it has happened when this resolves.
 */
export async function ensureStatusPoll(context: WorkerContext, post: Pick<PostRow, 'id' | 'generation'>, delayMs: number): Promise<void> {
  await startStatusPoll(context, { id: post.id, generation: post.generation }, delayMs);
}
