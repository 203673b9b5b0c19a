import type { ZodType } from 'zod';
import { classifyPostingError, Permanent } from './errors';
import { JsonHttpClient, type JsonResponse, type UpstreamClientOptions } from './http';
import {
  AccountsResponse,
  CreatePostResponse,
  CreatorInfoResponse,
  PostingCreatePostBody,
  PublishStatusResponse,
  QrLoginCheckResponse,
  QrLoginRequestBody,
  QrLoginRequestResponse,
  type CreatorInfo,
  type PostingAccount,
  type PostingMediaType,
  type PublishStatus,
  type QrLoginStatus,
} from './posting-schemas';
import { accountScope, apiKeyScope, type AccountAction, type QuotaScope } from './scope';

export type PostingClientOptions = UpstreamClientOptions;

export interface CreatePostResult {
  publishId: string;
  mediaType: PostingMediaType;
  raw: unknown;
}

export interface PublishStatusResult {
  status: PublishStatus;
  failReason?: string;
  publicUrl?: string;
  raw: unknown;
}

export interface CreatorInfoResult {
  info: CreatorInfo;
  raw: unknown;
}

export interface AccountsResult {
  accounts: PostingAccount[];
  /** The API key's plan as the provider reports it, when it does. */
  subscription?: string;
  raw: unknown;
}

export interface QrLoginRequestResult {
  token: string;
  /** Ours when we sent one, the provider's otherwise. */
  uniqueId: string;
  /** A `data:image/...;base64,` URI to show the user. */
  qrCodeImage: string;
  expiresInS: number;
  raw: unknown;
}

export interface QrLoginAccount {
  accountId: string;
  username: string;
  displayName: string;
}

export interface QrLoginCheckResult {
  status: QrLoginStatus;
  uniqueId: string;
  /** Only on `confirmed`, and only on the first check that sees it. */
  account?: QrLoginAccount;
  message?: string;
  raw: unknown;
}

const CREATE_POST = 'POST /api/content/post';
const STATUS = 'GET /api/content/status/:accountId/:publishId';
const CREATOR_INFO = 'GET /api/content/creator-info/:accountId';
const ACCOUNTS = 'GET /api/content/accounts';
const QR_REQUEST = 'POST /api/content/qr-login/request';
const QR_CHECK = 'POST /api/content/qr-login/check';

/** Typed client for the posting API (publishing to TikTok on behalf of linked accounts). */
export class PostingClient {
  /** The API-key quota bucket; account buckets come from `scopesFor`. */
  readonly quotaScope: QuotaScope;
  readonly #http: JsonHttpClient;
  readonly #apiKey: string;
  readonly #defaultRetryAfterMs: number;

  constructor(options: PostingClientOptions) {
    this.#http = new JsonHttpClient('posting', options);
    this.#apiKey = options.apiKey;
    this.#defaultRetryAfterMs = options.defaultRetryAfterMs ?? 1000;
    this.quotaScope = apiKeyScope(options.apiKey);
  }

  /** Every bucket one call is charged to: the API key plus the account's per-action bucket. */
  scopesFor(action: AccountAction, accountId: string): QuotaScope[] {
    return [this.quotaScope, accountScope(action, accountId)];
  }

  /**
   * Starts a publish. NOT idempotent: every accepted call creates a post. If the request may have
   * been written but no answer came (timeout, reset), this throws `Ambiguous` and must not be
   * re-sent automatically; only failures that prove nothing left (refused, DNS) are `Transient`.
   */
  async createPost(body: PostingCreatePostBody, options: { signal?: AbortSignal } = {}): Promise<CreatePostResult> {
    const checked = PostingCreatePostBody.safeParse(body);
    if (!checked.success) {
      // Caught before sending: the same body would be refused upstream too.
      throw new Permanent({
        upstream: 'posting',
        endpoint: CREATE_POST,
        code: 'invalid_body',
        message: `Posting API ${CREATE_POST} body is invalid: ${checked.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      });
    }
    const { data, raw } = await this.#call(
      { method: 'POST', path: '/api/content/post', endpoint: CREATE_POST, json: checked.data, idempotent: false, signal: options.signal },
      CreatePostResponse,
      accountScope('publish', checked.data.accountId),
    );
    return { publishId: data.data.publish_id, mediaType: data.mediaType, raw };
  }

  async getStatus(accountId: string, publishId: string, options: { signal?: AbortSignal } = {}): Promise<PublishStatusResult> {
    const { data, raw } = await this.#call(
      {
        method: 'GET',
        path: `/api/content/status/${encodeURIComponent(accountId)}/${encodeURIComponent(publishId)}`,
        endpoint: STATUS,
        idempotent: true,
        signal: options.signal,
      },
      PublishStatusResponse,
      accountScope('status', accountId),
    );
    const { status, fail_reason: failReason, public_post_url: publicUrl } = data.data;
    return { status, ...(failReason ? { failReason } : {}), ...(publicUrl ? { publicUrl } : {}), raw };
  }

  /** The creator's current posting permissions (privacy options, duet/stitch/comment switches). */
  async getCreatorInfo(accountId: string, options: { signal?: AbortSignal } = {}): Promise<CreatorInfoResult> {
    const { data, raw } = await this.#call(
      { method: 'GET', path: `/api/content/creator-info/${encodeURIComponent(accountId)}`, endpoint: CREATOR_INFO, idempotent: true, signal: options.signal },
      CreatorInfoResponse,
      accountScope('creatorInfo', accountId),
    );
    return { info: data.data, raw };
  }

  async listAccounts(options: { signal?: AbortSignal } = {}): Promise<AccountsResult> {
    const { data, raw } = await this.#call(
      { method: 'GET', path: '/api/content/accounts', endpoint: ACCOUNTS, idempotent: true, signal: options.signal },
      AccountsResponse,
      null,
    );
    return { accounts: data.data, ...(data.subscription === undefined ? {} : { subscription: data.subscription }), raw };
  }

  /**
   * Starts a QR login. Throws `SubscriptionRequired` on plans without it. Treated as idempotent: a
   * repeated request only mints another code, and the unused one simply expires.
   */
  async requestQrLogin(uniqueId?: string, options: { signal?: AbortSignal } = {}): Promise<QrLoginRequestResult> {
    const body = QrLoginRequestBody.safeParse(uniqueId === undefined ? {} : { unique_id: uniqueId });
    if (!body.success) {
      throw new Permanent({
        upstream: 'posting',
        endpoint: QR_REQUEST,
        code: 'invalid_body',
        message: `Posting API ${QR_REQUEST} body is invalid: unique_id must be at least 8 characters`,
      });
    }
    const { data, raw } = await this.#call(
      { method: 'POST', path: '/api/content/qr-login/request', endpoint: QR_REQUEST, json: body.data, idempotent: true, signal: options.signal },
      QrLoginRequestResponse,
      null,
    );
    const { token, unique_id: providerUniqueId, qrCodeImage, expiresIn } = data.data;
    return { token, uniqueId: providerUniqueId, qrCodeImage, expiresInS: expiresIn, raw };
  }

  /**
   * Polls a QR login. NOT idempotent: the first check that sees `confirmed` uses the code up and is
   * the only one to carry the account, so an answer lost on the way is `Ambiguous`. The account is
   * still on the provider's list then, which `listAccounts` can recover it from.
   */
  async checkQrLogin(token: string, options: { signal?: AbortSignal } = {}): Promise<QrLoginCheckResult> {
    const { data, raw } = await this.#call(
      { method: 'POST', path: '/api/content/qr-login/check', endpoint: QR_CHECK, json: { token }, idempotent: false, signal: options.signal },
      QrLoginCheckResponse,
      null,
    );
    const { status, unique_id: uniqueId, account, message } = data.data;
    return {
      status,
      uniqueId,
      ...(account === undefined
        ? {}
        : { account: { accountId: account.accountId, username: account.username, displayName: account.display_name ?? account.username } }),
      ...(message === undefined ? {} : { message }),
      raw,
    };
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  async #call<T>(
    request: { method: 'GET' | 'POST'; path: string; endpoint: string; json?: unknown; idempotent: boolean; signal: AbortSignal | undefined },
    schema: ZodType<T>,
    account: QuotaScope | null,
  ): Promise<{ data: T; raw: unknown }> {
    const { signal, ...rest } = request;
    return this.#http.requestJson(
      {
        ...rest,
        headers: { accept: 'application/json', 'X-API-Key': this.#apiKey },
        ...(signal === undefined ? {} : { signal }),
      },
      schema,
      (response: JsonResponse) =>
        classifyPostingError(response.status, response.body, response.headers, {
          endpoint: request.endpoint,
          scope: rateLimitScope(this.quotaScope, account),
          defaultRetryAfterMs: this.#defaultRetryAfterMs,
          idempotent: request.idempotent,
        }),
    );
  }
}

/**
 * Which bucket a posting 429 is charged to. The upstream answers key-level and account-level 429s
 * with the same body and headers, so we cannot read it off the response; we choose the account on
 * account-metered endpoints. Our limiter already paces the API key fleet-wide, so a 429 that still
 * arrives there is most likely the account's (which we only estimate: other apps may share the
 * user's token). And the costs are lopsided: blocking the key for an account limit would pause
 * every other account for up to a minute, while blocking only the account for a key limit costs at
 * most a few more millisecond-scale 429s before the key bucket paces the fleet again.
 */
function rateLimitScope(key: QuotaScope, account: QuotaScope | null): QuotaScope {
  return account ?? key;
}
