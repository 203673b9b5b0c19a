import { toError } from '@pubcrawl/errors';
import { z } from 'zod';
import type { QuotaScope, Upstream } from './scope';

/**
 * What a worker should do about a failed upstream call. The class of the error is the whole
 * decision, in the way BullMQ's UnrecoverableError / DelayedError are:
 *
 * - `RateLimited`    wait `retryAfterMs` (fleet-wide, via the quota limiter); never an attempt.
 * - `DailyCapReached` the provider refused this account's post for today (TikTok's
 *                    `spam_risk_too_many_posts`): nothing was published, so it is never an
 *                    attempt; pause that account alone until its daily window rolls.
 * - `SessionExpired` park the account until its owner re-authorises.
 * - `Transient`      retry with full-jitter backoff, a bounded number of times.
 * - `Permanent`      fail now; keep code + message for the record.
 * - `Ambiguous`      a non-idempotent request may or may not have happened: never re-send it
 *                    automatically; reconcile (status polling, a human) instead.
 */
export type UpstreamErrorKind = 'RateLimited' | 'DailyCapReached' | 'SessionExpired' | 'Transient' | 'Permanent' | 'Ambiguous';

export interface UpstreamErrorInit {
  upstream: Upstream;
  /** Route pattern, e.g. "GET /public/followers"; never the full URL, so no query values leak. */
  endpoint: string;
  message: string;
  httpStatus?: number;
  /** TikTok `statusCode` (as a string) for TikAPI, the `code` field for the posting API. */
  code?: string;
  /** The parsed JSON error body, kept for the record. */
  body?: unknown;
  cause?: unknown;
}

export abstract class UpstreamError extends Error {
  abstract readonly kind: UpstreamErrorKind;
  readonly upstream: Upstream;
  readonly endpoint: string;
  readonly httpStatus: number | undefined;
  readonly code: string | undefined;
  readonly body: unknown;

  constructor(init: UpstreamErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.upstream = init.upstream;
    this.endpoint = init.endpoint;
    this.httpStatus = init.httpStatus;
    this.code = init.code;
    this.body = init.body;
  }
}

export interface RateLimitedInit extends UpstreamErrorInit {
  retryAfterMs: number;
  /** The quota bucket the 429 came from, or null when the caller could not tell. */
  scope: QuotaScope | null;
}

export class RateLimited extends UpstreamError {
  override readonly name = 'RateLimited';
  readonly kind = 'RateLimited';
  readonly retryAfterMs: number;
  readonly scope: QuotaScope | null;

  constructor(init: RateLimitedInit) {
    super(init);
    this.retryAfterMs = init.retryAfterMs;
    this.scope = init.scope;
  }
}

/** TikTok's code for a post past the account's daily cap, which TikTok does not publish. */
export const DAILY_CAP_CODE = 'spam_risk_too_many_posts';

/**
 * A refusal, like a 429: the provider did nothing with the post, so re-sending it later is safe and
 * the attempt is not spent. Unlike a 429 it carries no wait, because TikTok never says when the
 * day rolls; the caller's own daily window decides, and only this account pauses.
 */
export class DailyCapReached extends UpstreamError {
  override readonly name = 'DailyCapReached';
  readonly kind = 'DailyCapReached';
}

export class SessionExpired extends UpstreamError {
  override readonly name = 'SessionExpired';
  readonly kind = 'SessionExpired';
}

export class Transient extends UpstreamError {
  override readonly name = 'Transient';
  readonly kind = 'Transient';
}

export class Permanent extends UpstreamError {
  // Widened to string so subclasses (SubscriptionRequired) can name themselves.
  override readonly name: string = 'Permanent';
  readonly kind = 'Permanent';
}

export interface SubscriptionRequiredInit extends UpstreamErrorInit {
  /** The plan the provider says the API key is on, e.g. "free"; null when it did not say. */
  subscription: string | null;
  providerMessage: string;
}

/**
 * The posting API's 403 for features above the key's plan (QR login needs "maximum"). Permanent,
 * because only an upgrade changes the answer; its own class so the API can answer a 4xx
 * `subscription_required` with `providerMessage` instead of a generic upstream failure.
 */
export class SubscriptionRequired extends Permanent {
  override readonly name = 'SubscriptionRequired';
  readonly subscription: string | null;
  /** The provider's own wording, e.g. "QR Code login is only available for Maximum subscription". */
  readonly providerMessage: string;

  constructor(init: SubscriptionRequiredInit) {
    super(init);
    this.subscription = init.subscription;
    this.providerMessage = init.providerMessage;
  }
}

/** The code a `NotFoundOnTikTok` carries, whichever TikTok statusCode it came from. */
export const NOT_FOUND_ON_TIKTOK = 'not_found_on_tiktok';

/** TikTok statusCodes that mean the entity is not there, per kind of entity looked up. */
export const NOT_FOUND_CODES = {
  user: ['10202'],
  video: ['10204', '2054', '10241'],
} as const satisfies Record<string, readonly string[]>;

export type TikTokEntity = keyof typeof NOT_FOUND_CODES;

export interface NotFoundOnTikTokInit extends UpstreamErrorInit {
  entity: TikTokEntity;
  /** TikTok's own statusCode (e.g. "10202"), kept because `code` is the stable `not_found_on_tiktok`. */
  tiktokCode: string | null;
}

/**
 * The user or video does not exist on TikTok. Permanent like any 10202/10204, but its own class so
 * a look-up can answer 404 `not_found_on_tiktok` (and cache the miss) instead of a generic upstream
 * failure, without every caller knowing which statusCodes mean "not there".
 */
export class NotFoundOnTikTok extends Permanent {
  override readonly name = 'NotFoundOnTikTok';
  readonly entity: TikTokEntity;
  readonly tiktokCode: string | null;

  constructor(init: NotFoundOnTikTokInit) {
    super({ ...init, code: NOT_FOUND_ON_TIKTOK });
    this.entity = init.entity;
    this.tiktokCode = init.tiktokCode;
  }
}

/** `error` as a `NotFoundOnTikTok` when its statusCode means `entity` is missing; otherwise unchanged. */
export function asNotFoundOnTikTok(error: Error, entity: TikTokEntity): Error {
  if (!(error instanceof Permanent) || error instanceof NotFoundOnTikTok || error.code === undefined) return error;
  if (!(NOT_FOUND_CODES[entity] as readonly string[]).includes(error.code)) return error;
  return new NotFoundOnTikTok({
    upstream: error.upstream,
    endpoint: error.endpoint,
    message: error.message,
    ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
    body: error.body,
    cause: error,
    entity,
    tiktokCode: error.code,
  });
}

export class Ambiguous extends UpstreamError {
  override readonly name = 'Ambiguous';
  readonly kind = 'Ambiguous';
}

// The repo's one error normaliser, re-exported for this package's modules.
export { toError };

/** The kinds a TikTok `statusCode` can map to; rate limits come from HTTP 429, never a code. */
export type TikTokCodeKind = Exclude<UpstreamErrorKind, 'RateLimited' | 'DailyCapReached' | 'Ambiguous'>;

export interface TikTokStatusCode {
  /** TikAPI's description, verbatim from its documentation. */
  message: string;
  kind: TikTokCodeKind;
  /** Why this kind: read by reviewers and printed by the table test. */
  reason: string;
}

const NOT_FOUND = 'the entity is gone or never existed; asking again returns the same answer';
const POLICY = 'a moderation/visibility decision about the entity; it does not change within our backoff window';
const PROXY = "about the TikAPI proxy/session that served the call, not the entity; TikAPI rotates them, so a retry usually passes";

/**
 * Every TikTok `statusCode` TikAPI documents (its 403 table plus 8 from the 428 section), with the
 * class each maps to. Unknown codes on a 403 are Permanent: failing loudly with the code kept is
 * cheaper than retrying something we do not understand.
 */
export const TIKTOK_STATUS_CODES: Readonly<Record<number, TikTokStatusCode>> = {
  8: { message: 'Account session expired', kind: 'SessionExpired', reason: 'the account key is no longer valid; only the owner re-authorising fixes it' },
  2054: { message: 'Video is unavailable or deleted.', kind: 'Permanent', reason: NOT_FOUND },
  2752: { message: 'Ad video is unavailable.', kind: 'Permanent', reason: NOT_FOUND },
  10000: { message: 'TikTok Captcha Error', kind: 'Transient', reason: `a captcha challenge is ${PROXY}` },
  10101: { message: 'TikTok Server Error', kind: 'Transient', reason: "TikTok's own 5xx, relayed as a 403" },
  // Decision: 10102 is Transient, not SessionExpired. Expired account keys have their own explicit
  // signal (HTTP 428 / statusCode 8); on public endpoints "not logged-in" describes the scraping
  // session TikAPI picked, so parking one of our accounts on it would stop a healthy account. The
  // retry budget is bounded, so a persistent 10102 still ends as a failure.
  10102: { message: 'User not logged-in', kind: 'Transient', reason: `login demanded of the scraping session is ${PROXY}` },
  10111: { message: 'TikTok Network Error', kind: 'Transient', reason: 'a network failure between TikAPI and TikTok' },
  10113: { message: 'TikTok blocked resource', kind: 'Transient', reason: `a block is ${PROXY}` },
  10114: { message: 'TikTok blocked resource', kind: 'Transient', reason: `a block is ${PROXY}` },
  // Decision: 10119 is Permanent. Live endpoints need a logged-in account by design, so a retry
  // cannot change the answer, and it is not our session expiring (that is 428).
  10119: { message: 'User not logged-in for Live', kind: 'Permanent', reason: 'Live data structurally needs a logged-in account; retrying cannot help' },
  10202: { message: "User doesn't exist", kind: 'Permanent', reason: NOT_FOUND },
  10203: { message: "Music doesn't exist", kind: 'Permanent', reason: NOT_FOUND },
  10204: { message: "Video doesn't exist", kind: 'Permanent', reason: NOT_FOUND },
  10205: { message: "Hashtag doesn't exist", kind: 'Permanent', reason: NOT_FOUND },
  10208: { message: "Effect doesn't exist", kind: 'Permanent', reason: NOT_FOUND },
  10209: { message: 'Hashtag is blacklisted', kind: 'Permanent', reason: POLICY },
  10210: { message: "Live doesn't exist", kind: 'Permanent', reason: NOT_FOUND },
  10211: { message: 'Hashtag is sensitive', kind: 'Permanent', reason: POLICY },
  10212: { message: 'Hashtag error', kind: 'Permanent', reason: 'TikTok rejects the hashtag itself; the same request gets the same answer' },
  // Decision: 10215/10217 are Transient because TikTok itself says "currently"; the retry budget is
  // bounded, so a video that stays unavailable still fails within minutes.
  10215: { message: 'Video is currently unavailable', kind: 'Transient', reason: 'TikTok says "currently": a short-lived state worth a bounded retry' },
  10216: { message: 'Video is private', kind: 'Permanent', reason: POLICY },
  10217: { message: 'Video is currently unavailable', kind: 'Transient', reason: 'TikTok says "currently": a short-lived state worth a bounded retry' },
  10218: { message: 'Music error', kind: 'Permanent', reason: 'TikTok rejects the music entity; the same request gets the same answer' },
  10219: { message: 'Music copyright error', kind: 'Permanent', reason: POLICY },
  10220: { message: 'Video music error', kind: 'Permanent', reason: "TikTok rejects the video's music; the same request gets the same answer" },
  10221: { message: 'User is banned', kind: 'Permanent', reason: POLICY },
  10223: { message: 'User error', kind: 'Permanent', reason: 'TikTok rejects the user entity; the same request gets the same answer' },
  10224: { message: "Entity doesn't exist", kind: 'Permanent', reason: NOT_FOUND },
  10225: { message: 'User unique sensitivity', kind: 'Permanent', reason: POLICY },
  // Review can take days; our backoff is seconds to minutes. A later scheduled crawl picks it up.
  10227: { message: 'Video is under review', kind: 'Permanent', reason: 'review takes far longer than our bounded backoff; the next scheduled crawl retries' },
  10228: { message: 'Video is under risk control', kind: 'Permanent', reason: POLICY },
  10229: { message: 'Video is hidden', kind: 'Permanent', reason: POLICY },
  10230: { message: 'Video is under risk control', kind: 'Permanent', reason: POLICY },
  10231: { message: 'Video is not visible on your country', kind: 'Permanent', reason: 'geo-restricted: only a different `country` (a different request) could help' },
  10241: { message: 'Video is deleted.', kind: 'Permanent', reason: NOT_FOUND },
  10242: { message: 'This video has restricted access', kind: 'Permanent', reason: POLICY },
  // Decision: 10404 is Permanent. TikTok caps how deep a list can be paged; re-asking for the same
  // cursor hits the same cap. A crawler may read code "10404" as "end of list" and finish.
  10404: { message: 'List limit reached', kind: 'Permanent', reason: "TikTok's paging depth cap; the same cursor hits it again (a crawler may treat it as end of list)" },
};

export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

function header(headers: HeaderBag, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return typeof value === 'string' ? value : value[0];
  }
  return undefined;
}

/**
 * How long a 429 asks us to wait. `X-RateLimit-Reset-Ms` wins because it is precise (Retry-After
 * is whole seconds, so trusting it alone idles a 50 req/s key for up to a second per 429); then
 * `Retry-After` as delta-seconds or an HTTP-date; then the configured default.
 */
export function parseRetryAfterMs(headers: HeaderBag, defaultMs: number, now: number = Date.now()): number {
  const resetMs = header(headers, 'x-ratelimit-reset-ms')?.trim();
  if (resetMs !== undefined && /^\d+(\.\d+)?$/.test(resetMs)) {
    const value = Number(resetMs);
    // Some APIs send an epoch timestamp under this name; anything past 2001 in epoch-ms is one.
    return Math.ceil(value > 1e12 ? Math.max(0, value - now) : value);
  }
  const retryAfter = header(headers, 'retry-after')?.trim();
  if (retryAfter !== undefined && retryAfter !== '') {
    if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.ceil(Number(retryAfter) * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  return defaultMs;
}

export interface ClassifyContext {
  /** Route pattern for the error; defaults to "unknown". */
  endpoint?: string;
  /** The quota bucket a 429 is charged to. */
  scope?: QuotaScope | null;
  /** Used when a 429 carries no usable header. Default 1000. */
  defaultRetryAfterMs?: number;
  /** False for requests that must not be repeated blindly (the publish POST). Default true. */
  idempotent?: boolean;
  now?: number;
}

const TikApiErrorBody = z.looseObject({
  message: z.string().optional(),
  statusCode: z.union([z.number(), z.string()]).optional(),
});

const PostingErrorBody = z.looseObject({
  error: z.string().optional(),
  message: z.string().optional(),
  code: z.string().optional(),
  /** Only on plan refusals (seed 004: `{error, subscription}`, no code). */
  subscription: z.string().optional(),
});

function rateLimited(upstream: Upstream, httpStatus: number, body: unknown, headers: HeaderBag, context: ClassifyContext, message: string, code?: string): RateLimited {
  const endpoint = context.endpoint ?? 'unknown';
  return new RateLimited({
    upstream,
    endpoint,
    httpStatus,
    ...(code === undefined ? {} : { code }),
    message: `${upstreamName(upstream)} ${endpoint} answered ${httpStatus}: ${message}`,
    body,
    retryAfterMs: parseRetryAfterMs(headers, context.defaultRetryAfterMs ?? 1000, context.now),
    scope: context.scope ?? null,
  });
}

function upstreamName(upstream: Upstream): string {
  if (upstream === 'tiktok') return 'TikTok API';
  return upstream === 'tikapi' ? 'TikAPI' : 'Posting API';
}

/** Maps a TikAPI non-2xx answer to the class a worker acts on. */
export function classifyTikApiError(httpStatus: number, body: unknown, headers: HeaderBag = {}, context: ClassifyContext = {}): UpstreamError {
  const parsed = TikApiErrorBody.safeParse(body);
  const upstreamMessage = (parsed.success ? parsed.data.message : undefined) ?? 'no message';
  const rawCode = parsed.success ? parsed.data.statusCode : undefined;
  const code = rawCode === undefined ? undefined : String(rawCode);
  const endpoint = context.endpoint ?? 'unknown';
  const init: UpstreamErrorInit = {
    upstream: 'tikapi',
    endpoint,
    httpStatus,
    ...(code === undefined ? {} : { code }),
    message: `TikAPI ${endpoint} answered ${httpStatus}${code === undefined ? '' : ` (statusCode ${code})`}: ${upstreamMessage}`,
    body,
  };

  if (httpStatus === 429) return rateLimited('tikapi', httpStatus, body, headers, context, upstreamMessage, code);
  // TikAPI defines 428 as exactly "the account key's TikTok session expired" (statusCode 8).
  if (httpStatus === 428) return new SessionExpired(init);
  if (httpStatus >= 500 || httpStatus === 408) return new Transient(init);
  if (httpStatus === 403 && code !== undefined) {
    const known = TIKTOK_STATUS_CODES[Number(code)];
    if (known !== undefined) return construct(known.kind, init);
  }
  // 400 (bad parameters), 401 (bad API key), 404, unknown 403 codes and any other 4xx/3xx: the
  // same request would get the same answer.
  return new Permanent(init);
}

/** Maps a posting-API non-2xx answer to the class a worker acts on. */
export function classifyPostingError(httpStatus: number, body: unknown, headers: HeaderBag = {}, context: ClassifyContext = {}): UpstreamError {
  const parsed = PostingErrorBody.safeParse(body);
  const upstreamMessage = (parsed.success ? (parsed.data.error ?? parsed.data.message) : undefined) ?? 'no message';
  const code = parsed.success ? parsed.data.code : undefined;
  const endpoint = context.endpoint ?? 'unknown';
  const init: UpstreamErrorInit = {
    upstream: 'posting',
    endpoint,
    httpStatus,
    ...(code === undefined ? {} : { code }),
    message: `Posting API ${endpoint} answered ${httpStatus}${code === undefined ? '' : ` (${code})`}: ${upstreamMessage}`,
    body,
  };

  // Before the status checks: TikTok sends it as a 403, which would otherwise read as Permanent and
  // fail a post that only has to wait for tomorrow.
  if (code === DAILY_CAP_CODE) return new DailyCapReached(init);
  if (httpStatus === 429) return rateLimited('posting', httpStatus, body, headers, context, upstreamMessage, code);
  const subscription = parsed.success ? parsed.data.subscription : undefined;
  if (httpStatus === 403 && subscription !== undefined) {
    return new SubscriptionRequired({
      ...init,
      code: 'subscription_required',
      message: `Posting API ${endpoint} answered 403 (subscription_required, plan ${subscription}): ${upstreamMessage}`,
      subscription,
      providerMessage: upstreamMessage,
    });
  }
  // The account's TikTok token is dead; any other 401 (invalid_api_key) is our configuration.
  if (httpStatus === 401 && code === 'access_token_invalid') return new SessionExpired(init);
  // A 504 is a proxy saying the server behind it did not answer in time, not that it did nothing:
  // for a publish that is "sent, outcome unknown". Other 5xx are the server refusing or failing.
  if (httpStatus === 504 && context.idempotent === false) return new Ambiguous(init);
  if (httpStatus >= 500 || httpStatus === 408) return new Transient(init);
  return new Permanent(init);
}

function construct(kind: TikTokCodeKind, init: UpstreamErrorInit): UpstreamError {
  switch (kind) {
    case 'SessionExpired':
      return new SessionExpired(init);
    case 'Transient':
      return new Transient(init);
    case 'Permanent':
      return new Permanent(init);
  }
}

/**
 * Error codes that prove the request never reached the server: nothing was written, so even a
 * non-idempotent request can be retried safely.
 */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCodes(error: Error): string[] {
  const codes: string[] = [];
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') codes.push(code);
  // Happy-eyeballs connects (autoSelectFamily) fail with an AggregateError of per-address errors.
  if (error instanceof AggregateError) {
    for (const inner of error.errors) codes.push(...errorCodes(toError(inner)));
  }
  if (error.cause instanceof Error) codes.push(...errorCodes(error.cause));
  return codes;
}

/** True when the error shows the request was never written to a socket. */
export function failedBeforeSending(error: Error): boolean {
  const codes = errorCodes(error);
  return codes.length > 0 && codes.every((code) => NOT_SENT_CODES.has(code));
}

/**
 * A network-level failure (no HTTP status). Idempotent requests, and requests that provably never
 * left, are Transient. A non-idempotent request that may have been written (header/body timeout,
 * reset, "other side closed") is Ambiguous: the upstream may have acted on it.
 */
export function classifyNetworkError(upstream: Upstream, endpoint: string, error: unknown, options: { idempotent: boolean }): Transient | Ambiguous {
  const cause = toError(error);
  const code = errorCodes(cause)[0];
  const detail = `${cause.name}${code === undefined ? '' : ` ${code}`}`;
  const init: UpstreamErrorInit = { upstream, endpoint, message: '', cause, ...(code === undefined ? {} : { code }) };
  if (options.idempotent || failedBeforeSending(cause)) {
    return new Transient({ ...init, message: `${upstreamName(upstream)} ${endpoint} failed before a response (${detail}); safe to retry` });
  }
  return new Ambiguous({
    ...init,
    message: `${upstreamName(upstream)} ${endpoint} was sent but its outcome is unknown (${detail}); do not re-send automatically`,
  });
}

/** An answer with a 2xx status whose body did not match the schema we rely on. */
export function invalidResponse(upstream: Upstream, endpoint: string, httpStatus: number, body: unknown, issues: string): Permanent {
  // Permanent: re-asking returns the same shape; the contract changed and a human must look.
  return new Permanent({
    upstream,
    endpoint,
    httpStatus,
    code: 'invalid_response',
    message: `${upstreamName(upstream)} ${endpoint} returned an unexpected body: ${issues}`,
    body,
  });
}

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

/**
 * "Full jitter" backoff: uniform in [0, min(maxMs, baseMs·2^attempt)]. The randomness spreads a
 * fleet that failed together (one upstream hiccup fails every worker at once) so the retries do not
 * arrive as a second synchronised wave; the cap bounds how long one job can sleep.
 */
export function computeBackoffMs(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.floor(attempt));
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  return Math.floor(random() * (ceiling + 1));
}
