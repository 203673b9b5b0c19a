import { z } from 'zod';
import {
  Ambiguous,
  DAILY_CAP_CODE,
  DailyCapReached,
  parseRetryAfterMs,
  Permanent,
  RateLimited,
  SessionExpired,
  Transient,
  type HeaderBag,
  type UpstreamError,
  type UpstreamErrorInit,
} from './errors';
import type { QuotaScope } from './scope';

/** The code TikTok sends when an account has too many unopened inbox uploads. */
export const PENDING_SHARE_CODE = 'spam_risk_too_many_pending_share';
/** The code TikTok sends when the app's daily quota of publishing users is used up. */
export const ACTIVE_USER_CAP_CODE = 'reached_active_user_cap';

/**
 * TikTok v2 error codes that need the account's owner: the token is dead, the grant is gone, or a
 * scope was never granted. `access_token_invalid` is also what an expired access token gets, so a
 * caller refreshes once before parking; the other two cannot be refreshed away.
 */
export const TIKTOK_REAUTH_CODES: ReadonlySet<string> = new Set(['access_token_invalid', 'scope_not_authorized', 'invalid_grant']);

const ApiErrorBody = z.looseObject({ error: z.looseObject({ code: z.string(), message: z.string().optional(), log_id: z.string().optional() }) });
const OAuthErrorBody = z.looseObject({ error: z.string(), error_description: z.string().optional(), log_id: z.string().optional() });

export interface TikTokErrorFields {
  code: string | undefined;
  message: string;
  logId: string | undefined;
}

/** The code, message and `log_id` of either error shape TikTok uses (API `{error: {...}}`, OAuth `{error, error_description}`). */
export function tiktokErrorFields(body: unknown): TikTokErrorFields {
  const api = ApiErrorBody.safeParse(body);
  if (api.success) return { code: api.data.error.code, message: api.data.error.message ?? '', logId: api.data.error.log_id };
  const oauth = OAuthErrorBody.safeParse(body);
  if (oauth.success) return { code: oauth.data.error, message: oauth.data.error_description ?? '', logId: oauth.data.log_id };
  return { code: undefined, message: typeof body === 'string' ? body.slice(0, 200) : 'no message', logId: undefined };
}

/** TikTok's `log_id` from an upstream error's body, for the record and for TikTok support. */
export function tiktokLogId(error: UpstreamError): string | undefined {
  return tiktokErrorFields(error.body).logId;
}

export interface TikTokClassifyContext {
  endpoint: string;
  /** The per-token bucket a `rate_limit_exceeded` is charged to. */
  scope: QuotaScope | null;
  /** The app-wide bucket `reached_active_user_cap` blocks. */
  appScope: QuotaScope;
  /** Used when a 429 carries no usable header. */
  defaultRetryAfterMs: number;
  /** False for the inits: a 504 there means "sent, outcome unknown". */
  idempotent: boolean;
  /** Wall-clock ms. */
  now: number;
}

function msUntilUtcMidnight(now: number): number {
  const next = new Date(now);
  next.setUTCHours(24, 0, 0, 0);
  return next.getTime() - now;
}

/** Maps a TikTok v2 refusal (any non-2xx, or a 2xx whose `error.code` is not `ok`) onto the class a worker acts on. */
export function classifyTikTokV2Error(httpStatus: number, body: unknown, headers: HeaderBag, context: TikTokClassifyContext): UpstreamError {
  const { code, message, logId } = tiktokErrorFields(body);
  const init: UpstreamErrorInit = {
    upstream: 'tiktok',
    endpoint: context.endpoint,
    httpStatus,
    ...(code === undefined ? {} : { code }),
    message: `TikTok API ${context.endpoint} answered ${httpStatus}${code === undefined ? '' : ` (${code})`}: ${message || 'no message'}${logId === undefined ? '' : ` [log_id ${logId}]`}`,
    body,
  };

  // Refusals that published nothing and only time fixes: never an attempt. The pending-share one
  // lifts when the user opens their inbox rather than at midnight, but like the cap it pauses that
  // account alone, which is what DailyCapReached tells a worker to do; `code` tells them apart.
  if (code === DAILY_CAP_CODE || code === PENDING_SHARE_CODE) return new DailyCapReached(init);
  if (code === 'rate_limit_exceeded' || httpStatus === 429) {
    return new RateLimited({ ...init, retryAfterMs: parseRetryAfterMs(headers, context.defaultRetryAfterMs, context.now), scope: context.scope });
  }
  // The whole app is out of publishing users for the day: every account waits for 00:00 UTC.
  if (code === ACTIVE_USER_CAP_CODE) return new RateLimited({ ...init, retryAfterMs: msUntilUtcMidnight(context.now), scope: context.appScope });
  if (code !== undefined && TIKTOK_REAUTH_CODES.has(code)) return new SessionExpired(init);
  if (httpStatus === 504 && !context.idempotent) return new Ambiguous(init);
  if (httpStatus >= 500 || httpStatus === 408 || code === 'internal_error') return new Transient(init);
  // invalid_params, invalid_client, url_ownership_unverified, privacy_level_option_mismatch,
  // unaudited_client_can_only_post_to_private_accounts, spam_risk_user_banned_from_posting: the
  // same request gets the same answer.
  return new Permanent(init);
}
