import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Pool, request as undiciRequest } from 'undici';
import type { ZodType } from 'zod';
import { Ambiguous, classifyNetworkError, invalidResponse, Permanent, toError, Transient, type HeaderBag } from './errors';
import type { UpstreamResponseInfo } from './http';
import { accountScope, apiKeyScope, type AccountAction, type QuotaScope } from './scope';
import { chunkSpans, planChunks, type ChunkPlan } from './tiktok-chunk-plan';
import { classifyTikTokV2Error, tiktokErrorFields } from './tiktok-v2-errors';
import {
  TikTokCreatorInfoResponse,
  TikTokInitResponse,
  TikTokStatusResponse,
  TikTokTokenResponse,
  TikTokUserInfoResponse,
  TikTokVideoListResponse,
  type TikTokCreatorInfo,
  type TikTokListedVideo,
  type TikTokPhotoPostInput,
  type TikTokPostInfo,
  type TikTokPublishStatus,
  type TikTokV2User,
  type TikTokVideoSource,
} from './tiktok-v2-schemas';

export interface TikTokV2ClientOptions {
  /** The API origin, e.g. `https://open.tiktokapis.com` (or the sandbox URL). */
  baseUrl: string;
  /** Where the authorize page lives, e.g. `https://www.tiktok.com` (or the sandbox URL). */
  authUrl: string;
  clientKey: string;
  clientSecret: string;
  /** Per-phase timeout (connect, headers, body gaps), as in `UpstreamClientOptions`. Default 15000. */
  timeoutMs?: number;
  /** Wait for a `rate_limit_exceeded` without a usable header. Default 60000: TikTok's windows are per minute. */
  defaultRetryAfterMs?: number;
  /** Keep-alive sockets to the API. Default 16. */
  connections?: number;
  /** Called once per request with its outcome; exceptions it throws are swallowed. */
  onResponse?: (info: UpstreamResponseInfo) => void;
  /** Wall-clock ms, for token expiry instants and the UTC-midnight wait. Default `Date.now`. */
  clock?: () => number;
}

export interface TikTokTokens {
  accessToken: string;
  /** Wall-clock ms, computed from `expires_in` on receipt. */
  accessExpiresAt: number;
  refreshToken: string;
  refreshExpiresAt: number;
  openId: string;
  scopes: string[];
  raw: unknown;
}

export interface TikTokInitResult {
  publishId: string;
  /** FILE_UPLOAD only. */
  uploadUrl?: string;
  /** FILE_UPLOAD only: the chunking declared at init, which `uploadChunks` must follow. */
  chunkPlan?: ChunkPlan;
  raw: unknown;
}

export interface TikTokStatusResult {
  status: TikTokPublishStatus;
  failReason?: string;
  /** `publicaly_available_post_id`: empty until the post is publicly viewable. */
  postIds: string[];
  uploadedBytes?: number;
  raw: unknown;
}

/** One video of the user's own, from `/v2/video/list/`. */
export interface TikTokV2Video {
  /** The post id, the same one status names in `publicaly_available_post_id`. */
  id: string;
  /** `''` when TikTok leaves it out. */
  title: string;
  /** `video_description`, the caption; `''` when TikTok leaves it out. */
  description: string;
  /** `create_time`: seconds since the epoch, UTC. */
  createTime: number;
  shareUrl: string | null;
  /** Expires after about 6 hours on TikTok: fetch it when needed, do not store it. */
  coverImageUrl: string | null;
  durationSec: number | null;
}

export interface TikTokV2VideoPage {
  /** Newest first. */
  videos: TikTokV2Video[];
  /** Pass back as `cursor` for the next (older) page. A UTC ms instant on TikTok. */
  cursor: number;
  hasMore: boolean;
  raw: unknown;
}

export const TIKTOK_V2_ENDPOINTS = {
  token: 'POST /v2/oauth/token/',
  userInfo: 'GET /v2/user/info/',
  creatorInfo: 'POST /v2/post/publish/creator_info/query/',
  directInit: 'POST /v2/post/publish/video/init/',
  inboxInit: 'POST /v2/post/publish/inbox/video/init/',
  contentInit: 'POST /v2/post/publish/content/init/',
  status: 'POST /v2/post/publish/status/fetch/',
  videoList: 'POST /v2/video/list/',
  upload: 'PUT {upload_url}',
} as const;

const USER_FIELDS = 'open_id,union_id,avatar_url,display_name,username';
const VIDEO_FIELDS = 'id,title,video_description,create_time,share_url,cover_image_url,duration';

/** TikTok's photo post limits: 1 to 35 images; title and description lengths in UTF-16 code units, as JS counts. */
export const TIKTOK_PHOTO_MAX_IMAGES = 35;
export const TIKTOK_PHOTO_MAX_TITLE = 90;
export const TIKTOK_PHOTO_MAX_DESCRIPTION = 4000;
/** `/v2/video/list/`'s ceiling on `max_count`, which `listVideos` also uses as its default. */
export const TIKTOK_VIDEO_LIST_MAX_COUNT = 20;

/**
 * The per-token quota bucket TikTok meters: 6 inits, 30 status fetches and 20 creator_info calls per
 * minute per user access token. Named by a hash so tokens never reach Redis keys or logs; a refresh
 * starts a fresh bucket, as a new token does on TikTok.
 */
export function tiktokTokenScope(action: AccountAction, accessToken: string): QuotaScope {
  return accountScope(action, `tiktok-token:${createHash('sha256').update(accessToken).digest('hex').slice(0, 32)}`);
}

interface SendRequest {
  method: 'GET' | 'POST';
  path: string;
  endpoint: string;
  headers: Record<string, string>;
  body?: string;
  idempotent: boolean;
  scope: QuotaScope | null;
  /** Bounds the whole call; an abort reads as "no answer" (Ambiguous for an init). */
  signal?: AbortSignal | undefined;
}

/** Optional per-call options of the calls a worker bounds as a whole. */
export interface TikTokCallOptions {
  signal?: AbortSignal;
}

/** TikTok's own v2 API: OAuth, user info, creator_info, direct and inbox video posts, photo posts, chunked upload, status, the user's video list. */
export class TikTokV2Client {
  readonly #pool: Pool;
  readonly #options: TikTokV2ClientOptions;
  readonly #clock: () => number;
  readonly #timeoutMs: number;
  readonly #appScope: QuotaScope;

  constructor(options: TikTokV2ClientOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#appScope = apiKeyScope(options.clientKey);
    this.#pool = new Pool(new URL(options.baseUrl).origin, {
      connections: options.connections ?? 16,
      connectTimeout: this.#timeoutMs,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    });
  }

  /** The app-wide bucket `reached_active_user_cap` blocks until 00:00 UTC. */
  get appScope(): QuotaScope {
    return this.#appScope;
  }

  /** The page to send the user to. `state` must be single-use and checked on the callback. */
  authorizeUrl(input: { state: string; codeChallenge: string; scopes: readonly string[]; redirectUri: string }): string {
    const url = new URL('/v2/auth/authorize/', this.#options.authUrl);
    url.searchParams.set('client_key', this.#options.clientKey);
    url.searchParams.set('scope', input.scopes.join(','));
    url.searchParams.set('redirect_uri', input.redirectUri);
    url.searchParams.set('state', input.state);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('code_challenge', input.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    return url.toString();
  }

  /** Codes are single-use, so this is not retried blindly: a lost answer means a new connect. */
  exchangeCode(input: { code: string; codeVerifier: string; redirectUri: string }): Promise<TikTokTokens> {
    return this.#token({ grant_type: 'authorization_code', code: input.code, code_verifier: input.codeVerifier, redirect_uri: input.redirectUri });
  }

  /**
   * Rotates the pair: the refresh token passed in stops working once TikTok answers. A refresh sent
   * but unanswered may already have rotated it, so a retry can meet `invalid_grant`; callers must
   * commit the new pair before anything else uses it.
   */
  refresh(refreshToken: string, options: TikTokCallOptions = {}): Promise<TikTokTokens> {
    return this.#token({ grant_type: 'refresh_token', refresh_token: refreshToken }, options.signal);
  }

  async userInfo(accessToken: string): Promise<TikTokV2User> {
    const { data } = await this.#json(
      { method: 'GET', path: `/v2/user/info/?fields=${USER_FIELDS}`, endpoint: TIKTOK_V2_ENDPOINTS.userInfo, headers: this.#bearer(accessToken), idempotent: true, scope: null },
      TikTokUserInfoResponse,
    );
    return data.data.user;
  }

  async creatorInfo(accessToken: string): Promise<{ info: TikTokCreatorInfo; raw: unknown }> {
    const { data, raw } = await this.#json(
      { method: 'POST', path: '/v2/post/publish/creator_info/query/', endpoint: TIKTOK_V2_ENDPOINTS.creatorInfo, headers: this.#bearer(accessToken), body: '{}', idempotent: true, scope: tiktokTokenScope('creatorInfo', accessToken) },
      TikTokCreatorInfoResponse,
    );
    return { info: data.data, raw };
  }

  /**
   * Starts a direct post. NOT idempotent: every accepted init is a post. A request that may have
   * been written but got no answer (or a 504) is `Ambiguous` and must not be re-sent.
   */
  initDirectPost(accessToken: string, input: { postInfo: TikTokPostInfo; source: TikTokVideoSource }, options: TikTokCallOptions = {}): Promise<TikTokInitResult> {
    const post = input.postInfo;
    const postInfo = {
      privacy_level: post.privacyLevel,
      ...(post.title === undefined ? {} : { title: post.title }),
      ...(post.disableDuet === undefined ? {} : { disable_duet: post.disableDuet }),
      ...(post.disableComment === undefined ? {} : { disable_comment: post.disableComment }),
      ...(post.disableStitch === undefined ? {} : { disable_stitch: post.disableStitch }),
      ...(post.videoCoverTimestampMs === undefined ? {} : { video_cover_timestamp_ms: post.videoCoverTimestampMs }),
    };
    return this.#init(accessToken, '/v2/post/publish/video/init/', TIKTOK_V2_ENDPOINTS.directInit, input.source, { post_info: postInfo }, options.signal);
  }

  /** Uploads to the user's inbox as a draft they finish in the app. NOT idempotent, like `initDirectPost`. */
  initInboxPost(accessToken: string, input: { source: TikTokVideoSource }, options: TikTokCallOptions = {}): Promise<TikTokInitResult> {
    return this.#init(accessToken, '/v2/post/publish/inbox/video/init/', TIKTOK_V2_ENDPOINTS.inboxInit, input.source, {}, options.signal);
  }

  /**
   * Starts a photo post (`/v2/post/publish/content/init/`, `media_type: PHOTO`): `DIRECT_POST`
   * publishes it (scope `video.publish`), `MEDIA_UPLOAD` sends it to the creator's inbox (scope
   * `video.upload`). TikTok pulls the images, so every URL must be under a verified prefix. It counts
   * against the same 6 inits a minute as the video inits, and is NOT idempotent like them: a request
   * that may have been written but got no answer (or a 504) is `Ambiguous`. Inputs TikTok would
   * refuse anyway (no images, more than 35, a cover outside them, a DIRECT_POST without a privacy
   * level, a title or description too long) are a `Permanent` (`invalid_params`) without a request
   * being sent, so they spend no init.
   */
  async initPhotoPost(accessToken: string, input: TikTokPhotoPostInput, options: TikTokCallOptions = {}): Promise<TikTokInitResult> {
    const endpoint = TIKTOK_V2_ENDPOINTS.contentInit;
    const coverIndex = input.coverIndex ?? 0;
    const problem = photoPostProblem(input, coverIndex);
    if (problem !== null) throw new Permanent({ upstream: 'tiktok', endpoint, code: 'invalid_params', message: `TikTok photo post not sent: ${problem}` });
    const post = input.postInfo;
    const postInfo = {
      ...(post.title === undefined ? {} : { title: post.title }),
      ...(post.description === undefined ? {} : { description: post.description }),
      // Only a direct post has a privacy level; an inbox upload's is chosen by the creator in the app.
      ...(input.postMode === 'DIRECT_POST' && post.privacyLevel !== undefined ? { privacy_level: post.privacyLevel } : {}),
      ...(post.disableComment === undefined ? {} : { disable_comment: post.disableComment }),
      ...(post.autoAddMusic === undefined ? {} : { auto_add_music: post.autoAddMusic }),
      ...(post.brandContentToggle === undefined ? {} : { brand_content_toggle: post.brandContentToggle }),
      ...(post.brandOrganicToggle === undefined ? {} : { brand_organic_toggle: post.brandOrganicToggle }),
    };
    const body = {
      media_type: 'PHOTO',
      post_mode: input.postMode,
      post_info: postInfo,
      source_info: { source: 'PULL_FROM_URL', photo_cover_index: coverIndex, photo_images: [...input.photoUrls] },
    };
    const { data, raw } = await this.#json(
      { method: 'POST', path: '/v2/post/publish/content/init/', endpoint, headers: this.#bearer(accessToken), body: JSON.stringify(body), idempotent: false, scope: tiktokTokenScope('publish', accessToken), signal: options.signal },
      TikTokInitResponse,
    );
    return { publishId: data.data.publish_id, raw };
  }

  /**
   * Sends the file in the chunks declared at init, in order, each as one PUT with `Content-Range`.
   * `media` is read once, front to back; only the bytes of the chunk in flight are held, so a
   * large file streams through without being buffered whole.
   */
  async uploadChunks(uploadUrl: string, plan: ChunkPlan, media: AsyncIterable<Uint8Array> | Uint8Array, options: { contentType?: string } = {}): Promise<void> {
    const reader = new ByteReader(media instanceof Uint8Array ? [media] : media);
    for (const span of chunkSpans(plan)) {
      const started = performance.now();
      let status: number | 'error' = 'error';
      try {
        const response = await undiciRequest(uploadUrl, {
          method: 'PUT',
          headers: {
            'content-type': options.contentType ?? 'video/mp4',
            'content-length': String(span.length),
            'content-range': `bytes ${span.start}-${span.end}/${plan.videoSize}`,
          },
          body: Readable.from(reader.take(span.length)),
          headersTimeout: this.#timeoutMs,
          bodyTimeout: this.#timeoutMs,
        });
        const text = await response.body.text();
        status = response.statusCode;
        if (status < 200 || status >= 300) {
          const body = parseJson(text);
          const { message } = tiktokErrorFields(body);
          const init = { upstream: 'tiktok' as const, endpoint: TIKTOK_V2_ENDPOINTS.upload, httpStatus: status, code: 'upload_refused', body, message: `TikTok upload of chunk ${span.index + 1}/${plan.totalChunkCount} answered ${status}: ${message}` };
          throw status >= 500 ? new Transient(init) : new Permanent(init);
        }
      } catch (e) {
        const error = toError(e);
        if (error instanceof Permanent || error instanceof Transient) throw error;
        if (error instanceof MediaTooShort) throw new Permanent({ upstream: 'tiktok', endpoint: TIKTOK_V2_ENDPOINTS.upload, code: 'media_too_short', message: error.message, cause: error });
        // Re-sending a chunk's range is safe: the upload server takes each range once, in order.
        throw classifyNetworkError('tiktok', TIKTOK_V2_ENDPOINTS.upload, error, { idempotent: true });
      } finally {
        this.#report({ upstream: 'tiktok', endpoint: TIKTOK_V2_ENDPOINTS.upload, status, durationMs: performance.now() - started });
      }
    }
  }

  async fetchStatus(accessToken: string, publishId: string): Promise<TikTokStatusResult> {
    const { data, raw } = await this.#json(
      {
        method: 'POST',
        path: '/v2/post/publish/status/fetch/',
        endpoint: TIKTOK_V2_ENDPOINTS.status,
        headers: this.#bearer(accessToken),
        body: JSON.stringify({ publish_id: publishId }),
        idempotent: true,
        scope: tiktokTokenScope('status', accessToken),
      },
      TikTokStatusResponse,
    );
    const { status, fail_reason: failReason, publicaly_available_post_id: postIds, uploaded_bytes: uploadedBytes } = data.data;
    return { status, ...(failReason ? { failReason } : {}), postIds: postIds ?? [], ...(uploadedBytes === undefined ? {} : { uploadedBytes }), raw };
  }

  /**
   * One page of the user's own videos, newest first (scope `video.list`). Idempotent, so a lost
   * answer is `Transient`. `cursor` is the previous page's `cursor` (TikTok's is a UTC ms instant:
   * "posted before"; any instant works as a starting point), absent for the newest page. `maxCount`
   * is 1 to 20, default 20, and TikTok may return fewer even when `hasMore` is true.
   *
   * TikTok documents no per-token limit for this endpoint; a `rate_limit_exceeded` is charged to the
   * token's `status` bucket, the read-only one, rather than to a bucket of its own.
   */
  async listVideos(accessToken: string, input: { cursor?: number; maxCount?: number } = {}): Promise<TikTokV2VideoPage> {
    const maxCount = input.maxCount ?? TIKTOK_VIDEO_LIST_MAX_COUNT;
    if (!Number.isInteger(maxCount) || maxCount < 1 || maxCount > TIKTOK_VIDEO_LIST_MAX_COUNT) {
      throw new RangeError(`maxCount must be an integer from 1 to ${TIKTOK_VIDEO_LIST_MAX_COUNT}, got ${maxCount}`);
    }
    const { data, raw } = await this.#json(
      {
        method: 'POST',
        path: `/v2/video/list/?fields=${VIDEO_FIELDS}`,
        endpoint: TIKTOK_V2_ENDPOINTS.videoList,
        headers: this.#bearer(accessToken),
        body: JSON.stringify({ max_count: maxCount, ...(input.cursor === undefined ? {} : { cursor: input.cursor }) }),
        idempotent: true,
        scope: tiktokTokenScope('status', accessToken),
      },
      TikTokVideoListResponse,
    );
    const page = data.data;
    return { videos: (page.videos ?? []).map(toVideo), cursor: page.cursor ?? input.cursor ?? 0, hasMore: page.has_more, raw };
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  async #init(accessToken: string, path: string, endpoint: string, source: TikTokVideoSource, extra: Record<string, unknown>, signal?: AbortSignal): Promise<TikTokInitResult> {
    const plan = source.source === 'FILE_UPLOAD' ? planChunks(source.videoSize, source.chunkSize) : null;
    const sourceInfo =
      plan === null
        ? { source: 'PULL_FROM_URL', video_url: source.source === 'PULL_FROM_URL' ? source.videoUrl : '' }
        : { source: 'FILE_UPLOAD', video_size: plan.videoSize, chunk_size: plan.chunkSize, total_chunk_count: plan.totalChunkCount };
    const { data, raw } = await this.#json(
      { method: 'POST', path, endpoint, headers: this.#bearer(accessToken), body: JSON.stringify({ ...extra, source_info: sourceInfo }), idempotent: false, scope: tiktokTokenScope('publish', accessToken), signal },
      TikTokInitResponse,
    );
    const uploadUrl = data.data.upload_url;
    if (plan !== null && uploadUrl === undefined) throw invalidResponse('tiktok', endpoint, 200, raw, 'data.upload_url: missing for FILE_UPLOAD');
    return { publishId: data.data.publish_id, ...(uploadUrl === undefined ? {} : { uploadUrl }), ...(plan === null ? {} : { chunkPlan: plan }), raw };
  }

  async #token(fields: Record<string, string>, signal?: AbortSignal): Promise<TikTokTokens> {
    const form = new URLSearchParams({ client_key: this.#options.clientKey, client_secret: this.#options.clientSecret, ...fields });
    const receivedAt = this.#clock();
    const { data, raw } = await this.#json(
      {
        method: 'POST',
        path: '/v2/oauth/token/',
        endpoint: TIKTOK_V2_ENDPOINTS.token,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'cache-control': 'no-cache' },
        body: form.toString(),
        // Codes are single-use and refresh tokens rotate: a re-sent request is never a no-op.
        idempotent: false,
        scope: null,
        signal,
      },
      TikTokTokenResponse,
      // A lost token answer is not Ambiguous-and-reconcile: there is nothing to reconcile against,
      // and the remedy (refresh again, or reconnect) is the caller's usual path.
      { ambiguousAsTransient: true },
    );
    return {
      accessToken: data.access_token,
      accessExpiresAt: receivedAt + data.expires_in * 1000,
      refreshToken: data.refresh_token,
      refreshExpiresAt: receivedAt + data.refresh_expires_in * 1000,
      openId: data.open_id,
      scopes: data.scope.split(',').map((scope) => scope.trim()).filter((scope) => scope !== ''),
      raw,
    };
  }

  #bearer(accessToken: string): Record<string, string> {
    return { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json; charset=UTF-8' };
  }

  async #json<T>(request: SendRequest, schema: ZodType<T>, options: { ambiguousAsTransient?: boolean } = {}): Promise<{ data: T; raw: unknown }> {
    const started = performance.now();
    let status: number | 'error' = 'error';
    let response: { statusCode: number; headers: HeaderBag; text: string };
    try {
      const answer = await this.#pool.request({ method: request.method, path: request.path, headers: request.headers, body: request.body ?? null, ...(request.signal === undefined ? {} : { signal: request.signal }) });
      response = { statusCode: answer.statusCode, headers: answer.headers, text: await answer.body.text() };
      status = answer.statusCode;
    } catch (e) {
      const idempotent = request.idempotent || options.ambiguousAsTransient === true;
      throw classifyNetworkError('tiktok', request.endpoint, toError(e), { idempotent });
    } finally {
      this.#report({ upstream: 'tiktok', endpoint: request.endpoint, status, durationMs: performance.now() - started });
    }
    const parsedBody = parseJson(response.text);
    // Errors carry their body into logs; a token answer's body holds the tokens themselves.
    const body = request.endpoint === TIKTOK_V2_ENDPOINTS.token ? scrubTokens(parsedBody) : parsedBody;
    const errorCode = tiktokErrorFields(body).code;
    const refused = response.statusCode < 200 || response.statusCode >= 300 || (errorCode !== undefined && errorCode !== 'ok' && request.endpoint !== TIKTOK_V2_ENDPOINTS.token) || (request.endpoint === TIKTOK_V2_ENDPOINTS.token && typeof (body as { error?: unknown } | undefined)?.error === 'string');
    if (refused) {
      throw classifyTikTokV2Error(response.statusCode, body, response.headers, {
        endpoint: request.endpoint,
        scope: request.scope,
        appScope: this.#appScope,
        defaultRetryAfterMs: this.#options.defaultRetryAfterMs ?? 60_000,
        idempotent: request.idempotent,
        now: this.#clock(),
      });
    }
    const parsed = schema.safeParse(parsedBody);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
      const unreadable = invalidResponse('tiktok', request.endpoint, response.statusCode, body, issues);
      // A 2xx to an init is TikTok accepting it, whatever the body: the post may exist.
      if (!request.idempotent && options.ambiguousAsTransient !== true) {
        throw new Ambiguous({ upstream: 'tiktok', endpoint: request.endpoint, httpStatus: response.statusCode, code: 'invalid_response', message: unreadable.message, body });
      }
      throw unreadable;
    }
    return { data: parsed.data, raw: parsedBody };
  }

  #report(info: UpstreamResponseInfo): void {
    try {
      this.#options.onResponse?.(info);
    } catch {
      // A broken metrics hook must never turn an answer into a failure.
    }
  }
}

/** Why TikTok would refuse this photo post as `invalid_params`, or null. */
function photoPostProblem(input: TikTokPhotoPostInput, coverIndex: number): string | null {
  const count = input.photoUrls.length;
  if (count < 1 || count > TIKTOK_PHOTO_MAX_IMAGES) return `photoUrls must hold 1 to ${TIKTOK_PHOTO_MAX_IMAGES} URLs, not ${count}`;
  if (!Number.isInteger(coverIndex) || coverIndex < 0 || coverIndex >= count) return `coverIndex ${coverIndex} does not name one of the ${count} photos`;
  if (input.postMode === 'DIRECT_POST' && input.postInfo.privacyLevel === undefined) return 'postInfo.privacyLevel is required for DIRECT_POST';
  if ((input.postInfo.title?.length ?? 0) > TIKTOK_PHOTO_MAX_TITLE) return `postInfo.title is longer than ${TIKTOK_PHOTO_MAX_TITLE} characters`;
  if ((input.postInfo.description?.length ?? 0) > TIKTOK_PHOTO_MAX_DESCRIPTION) return `postInfo.description is longer than ${TIKTOK_PHOTO_MAX_DESCRIPTION} characters`;
  return null;
}

function toVideo(video: TikTokListedVideo): TikTokV2Video {
  return {
    id: video.id,
    title: video.title ?? '',
    description: video.video_description ?? '',
    createTime: video.create_time,
    shareUrl: video.share_url ?? null,
    coverImageUrl: video.cover_image_url ?? null,
    durationSec: video.duration ?? null,
  };
}

const TOKEN_FIELDS = new Set(['access_token', 'refresh_token']);

function scrubTokens(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).map(([key, value]) => [key, TOKEN_FIELDS.has(key) ? '[redacted]' : value]));
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.slice(0, 2000);
  }
}

class MediaTooShort extends Error {
  override readonly name = 'MediaTooShort';
}

/** Cuts one pass over `source` into consecutive pieces of exact lengths, carrying leftovers across. */
class ByteReader {
  readonly #iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  #leftover: Uint8Array = new Uint8Array(0);

  constructor(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
    this.#iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  async *take(length: number): AsyncGenerator<Uint8Array> {
    let remaining = length;
    while (remaining > 0) {
      if (this.#leftover.length === 0) {
        const next = await this.#iterator.next();
        if (next.done === true) throw new MediaTooShort(`the media ended ${remaining} bytes before the declared size`);
        this.#leftover = next.value;
        continue;
      }
      const piece = this.#leftover.subarray(0, remaining);
      this.#leftover = this.#leftover.subarray(piece.length);
      remaining -= piece.length;
      yield piece;
    }
  }
}
