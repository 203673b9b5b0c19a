import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AccountLimiter, type AccountLimitKind } from './account-limits';
import { DEFAULT_ACCOUNT_LIMITS } from './config';
import { creatorSettingsPatchSchema, defaultCreatorSettings, type CreatorSettings } from './creator-info';
import { TikTokOAuth } from './tiktok-oauth';
import { TikTokPublishes, type TikTokPublish } from './tiktok-publishes';
import { TikTokWebhooks } from './tiktok-webhooks';

/**
 * TikTok's v2 error codes the twin answers, with the HTTP status it sends each with. The statuses
 * follow the reference pages' error tables where they give one; 403 for the refusals otherwise.
 * `privacy_level_option_mismatch` is a 400: the request named a level the creator does not offer,
 * which is a bad parameter rather than a refusal of the account. Clients classify by `code`, so the
 * status only has to be plausible.
 */
export const TIKTOK_V2_ERRORS = {
  invalid_params: { status: 400, message: 'The request parameters are invalid.' },
  access_token_invalid: { status: 401, message: 'The access token is invalid or not found in the request.' },
  scope_not_authorized: { status: 401, message: 'The user did not authorize the scope required for completing this request.' },
  rate_limit_exceeded: { status: 429, message: 'API rate limit exceeded.' },
  spam_risk_too_many_posts: { status: 403, message: 'The daily post cap from the API is reached for the current user.' },
  spam_risk_too_many_pending_share: { status: 403, message: 'The user has too many pending shares in the inbox.' },
  spam_risk_user_banned_from_posting: { status: 403, message: 'The user is banned from making new posts.' },
  reached_active_user_cap: { status: 403, message: 'The daily quota for active publishing users from your client is reached.' },
  unaudited_client_can_only_post_to_private_accounts: { status: 403, message: 'Unaudited clients can only post with SELF_ONLY privacy.' },
  url_ownership_unverified: { status: 403, message: 'The domain or URL prefix of video_url is not verified for this client.' },
  privacy_level_option_mismatch: { status: 400, message: 'privacy_level is not one of the creator_info privacy_level_options.' },
  internal_error: { status: 500, message: 'Something went wrong on TikTok; try again later.' },
} as const satisfies Record<string, { status: number; message: string }>;
export type TikTokV2ErrorCode = keyof typeof TIKTOK_V2_ERRORS;

/** The twin's endpoints by short name, as `POST /__sandbox/tiktok/errors` names them. */
export const TIKTOK_ENDPOINTS = ['user_info', 'creator_info', 'video_init', 'inbox_init', 'content_init', 'status_fetch', 'video_list'] as const;
export type TikTokEndpoint = (typeof TIKTOK_ENDPOINTS)[number];

/** The sandbox app's per-token, per-minute ceilings: TikTok's documented 6 inits, 30 status fetches, 20 creator_info. */
export const TIKTOK_TOKEN_LIMITS = DEFAULT_ACCOUNT_LIMITS;

export const TIKTOK_MAX_VIDEO_POST_DURATION_SEC = 600;

export interface TikTokCreatorInfo extends CreatorSettings {
  creator_username: string;
  creator_nickname: string;
  max_video_post_duration_sec: number;
}

/** `PUT /__sandbox/tiktok/creator-info/:openId`: the posting twin's settings plus the names and the duration cap. */
export const tiktokCreatorPatchSchema = creatorSettingsPatchSchema.extend({
  creator_username: z.string({ error: 'creator_username must be a string' }).min(1).optional(),
  creator_nickname: z.string({ error: 'creator_nickname must be a string' }).min(1).optional(),
  max_video_post_duration_sec: z.number({ error: 'max_video_post_duration_sec must be a number' }).int().min(1).optional(),
});
export type TikTokCreatorPatch = z.infer<typeof tiktokCreatorPatchSchema>;

export const tiktokErrorInjectionSchema = z.strictObject({
  endpoint: z.enum(TIKTOK_ENDPOINTS, { error: `endpoint must be one of ${TIKTOK_ENDPOINTS.join(', ')}` }),
  code: z.enum(Object.keys(TIKTOK_V2_ERRORS) as [TikTokV2ErrorCode, ...TikTokV2ErrorCode[]], { error: 'code must be a TikTok v2 error code the sandbox knows' }),
  count: z.number().int().min(1).default(1),
});
export type TikTokErrorInjection = z.infer<typeof tiktokErrorInjectionSchema>;

/** `sandbox_user=alice` on the authorize URL signs in as this open id. */
export function openIdFor(user: string): string {
  return `sbx_open_${user}`;
}

/** Everything the TikTok v2 twin holds, so `SandboxState.reset` clears it in one call. */
export class TikTokTwin {
  readonly oauth: TikTokOAuth;
  readonly publishes: TikTokPublishes;
  readonly webhooks: TikTokWebhooks;
  /** Keyed by access token, not user: TikTok meters each user access token separately. */
  readonly limits: AccountLimiter;
  private readonly usernames = new Map<string, string>();
  private readonly creators = new Map<string, TikTokCreatorPatch>();
  private readonly injected: TikTokErrorInjection[] = [];
  private readonly lostAnswers = new Map<TikTokEndpoint, number>();
  /**
   * Whether `/v2/video/list/` shows `SELF_ONLY` posts too. TikTok's page says it lists "public video
   * posts"; the default is true anyway because an unaudited app (the sandbox default) can only post
   * `SELF_ONLY`, and a twin whose own publishes never show would leave nothing to reconcile against.
   * `PUT /__sandbox/tiktok/video-list {include_private: false}` gives the documented behaviour.
   */
  videoListIncludesPrivate = true;

  constructor(now: () => number, clock: () => number) {
    this.oauth = new TikTokOAuth(now);
    this.publishes = new TikTokPublishes(now, clock);
    this.webhooks = new TikTokWebhooks(now, clock);
    this.limits = new AccountLimiter(now);
  }

  rememberUser(openId: string, username: string): void {
    this.usernames.set(openId, username);
  }

  usernameOf(openId: string): string {
    return this.usernames.get(openId) ?? openId.replace(/^sbx_open_/, '');
  }

  userInfo(openId: string) {
    const username = this.usernameOf(openId);
    return {
      open_id: openId,
      union_id: `sbx_union_${username}`,
      avatar_url: `https://p16-sign.tiktokcdn-us.com/sandbox/avatar/${encodeURIComponent(username)}.jpeg`,
      display_name: this.creators.get(openId)?.creator_nickname ?? `Sandbox ${username}`,
      username: this.creators.get(openId)?.creator_username ?? username,
    };
  }

  creatorInfo(openId: string): TikTokCreatorInfo {
    const patch = this.creators.get(openId) ?? {};
    const user = this.userInfo(openId);
    const defaults = defaultCreatorSettings();
    return {
      creator_username: user.username,
      creator_nickname: user.display_name,
      privacy_level_options: [...(patch.privacy_level_options ?? defaults.privacy_level_options)],
      comment_disabled: patch.comment_disabled ?? defaults.comment_disabled,
      duet_disabled: patch.duet_disabled ?? defaults.duet_disabled,
      stitch_disabled: patch.stitch_disabled ?? defaults.stitch_disabled,
      max_video_post_duration_sec: patch.max_video_post_duration_sec ?? TIKTOK_MAX_VIDEO_POST_DURATION_SEC,
    };
  }

  /** Replaces the user's override (each PUT says it all, like the posting twin's). */
  setCreatorInfo(openId: string, patch: TikTokCreatorPatch): TikTokCreatorInfo {
    this.creators.set(openId, patch);
    return this.creatorInfo(openId);
  }

  injectError(injection: TikTokErrorInjection): void {
    this.injected.push({ ...injection });
  }

  /** The next injected error for `endpoint`, used up by this call. */
  takeInjectedError(endpoint: TikTokEndpoint): TikTokV2ErrorCode | null {
    const index = this.injected.findIndex((injection) => injection.endpoint === endpoint);
    const injection = this.injected[index];
    if (injection === undefined) return null;
    injection.count--;
    if (injection.count <= 0) this.injected.splice(index, 1);
    return injection.code;
  }

  /** The next `count` accepted inits on `endpoint` are created and then answered with a dropped connection. */
  loseAnswers(endpoint: TikTokEndpoint, count: number): void {
    this.lostAnswers.set(endpoint, (this.lostAnswers.get(endpoint) ?? 0) + count);
  }

  /** Whether this accepted request's answer is to be lost, used up by this call. */
  takeLostAnswer(endpoint: TikTokEndpoint): boolean {
    const left = this.lostAnswers.get(endpoint) ?? 0;
    if (left <= 0) return false;
    this.lostAnswers.set(endpoint, left - 1);
    return true;
  }

  consumeLimit(kind: AccountLimitKind, accessToken: string) {
    return this.limits.consume(TIKTOK_TOKEN_LIMITS, kind, accessToken);
  }

  /** Queues the outcome webhooks of every publish that reached a final status since the last call. */
  announceFinished(): void {
    for (const publish of this.publishes.all()) {
      if (publish.announced) continue;
      const status = this.publishes.statusOf(publish).status;
      if (status === 'PROCESSING_UPLOAD' || status === 'PROCESSING_DOWNLOAD') continue;
      publish.announced = true;
      for (const event of outcomeEvents(publish, status)) this.webhooks.enqueue({ clientKey: this.oauth.clientKey, openId: publish.openId, ...event });
    }
  }

  clear(): void {
    this.oauth.clear();
    this.publishes.clear();
    this.webhooks.clear();
    this.limits.clear();
    this.usernames.clear();
    this.creators.clear();
    this.injected.length = 0;
    this.lostAnswers.clear();
    this.videoListIncludesPrivate = true;
  }
}

/**
 * The Content Posting webhooks for a final status. The event names are TikTok's (from memory of
 * its content-posting webhooks page; the events page stored here lists only the older Video Kit
 * ones): `post.publish.complete`, `post.publish.publicly_available` once a post id exists,
 * `post.publish.inbox_delivered`, `post.publish.failed`.
 */
function outcomeEvents(publish: TikTokPublish, status: string): Array<{ event: string; content: Record<string, unknown> }> {
  const base = { publish_id: publish.publishId, publish_type: publish.type };
  if (status === 'FAILED') return [{ event: 'post.publish.failed', content: { ...base, reason: publish.failReason } }];
  if (status === 'SEND_TO_USER_INBOX') return [{ event: 'post.publish.inbox_delivered', content: base }];
  const events = [{ event: 'post.publish.complete', content: base as Record<string, unknown> }];
  if (publish.privacyLevel !== 'SELF_ONLY') events.push({ event: 'post.publish.publicly_available', content: { ...base, post_id: publish.postId } });
  return events;
}

/** TikTok's `log_id`: a timestamp-looking prefix and random hex, unique per answer. */
export function logId(): string {
  return `2025${randomBytes(13).toString('hex').toUpperCase()}`;
}
