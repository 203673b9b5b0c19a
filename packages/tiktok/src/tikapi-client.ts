import type { ZodType } from 'zod';
import { classifyTikApiError, Permanent } from './errors';
import { JsonHttpClient, type JsonResponse, type UpstreamClientOptions } from './http';
import { apiKeyScope, type QuotaScope } from './scope';
import {
  CheckUserResponse,
  FollowersResponse,
  HashtagResponse,
  type FollowerItem,
  type VideoItem,
} from './tikapi-schemas';

export type TikApiClientOptions = UpstreamClientOptions;

/**
 * TikAPI documents `count <= 30` (default 30) for every list endpoint; larger values are rejected
 * with a 400, so we clamp instead of letting a caller's typo become a Permanent failure.
 */
export const MAX_PAGE_SIZE = 30;

export interface CheckUserResult {
  secUid: string;
  id: string;
  followerCount: number;
  raw: unknown;
}

export interface FollowersPage {
  items: FollowerItem[];
  /** The cursor that follows this page: checkpoint it together with the items. */
  nextCursor: string | null;
  hasMore: boolean;
  raw: unknown;
}

export interface HashtagPage {
  /** `challengeInfo.challenge.id`; later pages must be requested by this id, not the name. */
  challengeId: string | null;
  items: VideoItem[];
  /** The cursor that follows this page: checkpoint it together with the items. */
  cursor: string | null;
  hasMore: boolean;
  raw: unknown;
}

interface PageOptions {
  cursor?: string;
  /** Clamped to 1..30; default 30. */
  count?: number;
  signal?: AbortSignal;
}

/**
 * Without an account key: any public profile's followers (`/public/followers`, secUid required).
 * With one: the account's own followers, or a friend's when secUid is given (`/user/followers`).
 */
export type FollowersTarget = { secUid: string; accountKey?: undefined } | { accountKey: string; secUid?: string };
export type FollowersQuery = PageOptions & FollowersTarget;

export type HashtagTarget = { name: string; id?: undefined } | { id: string; name?: undefined };
export type HashtagQuery = PageOptions & HashtagTarget;

interface IterateOptions {
  /** Resume after a checkpoint: the cursor saved with the last committed page. */
  startCursor?: string;
  /** Awaited before every page request; the place to acquire quota. */
  beforePage?: () => Promise<void>;
}

export type IterateFollowersQuery = Omit<PageOptions, 'cursor'> & IterateOptions & FollowersTarget;
export type IterateHashtagQuery = Omit<PageOptions, 'cursor'> & IterateOptions & HashtagTarget;

const CHECK = 'GET /public/check';
const PUBLIC_FOLLOWERS = 'GET /public/followers';
const USER_FOLLOWERS = 'GET /user/followers';
const HASHTAG = 'GET /public/hashtag';

/** Typed client for the TikAPI scraping endpoints pubcrawl uses. */
export class TikApiClient {
  /** The quota bucket every request of this client is charged to (hash of the API key). */
  readonly quotaScope: QuotaScope;
  readonly #http: JsonHttpClient;
  readonly #apiKey: string;
  readonly #defaultRetryAfterMs: number;

  constructor(options: TikApiClientOptions) {
    this.#http = new JsonHttpClient('tikapi', options);
    this.#apiKey = options.apiKey;
    this.#defaultRetryAfterMs = options.defaultRetryAfterMs ?? 1000;
    this.quotaScope = apiKeyScope(options.apiKey);
  }

  /** Profile lookup by username; the secUid it returns is what the list endpoints take. */
  async checkUser(username: string, options: { signal?: AbortSignal } = {}): Promise<CheckUserResult> {
    const { data, raw } = await this.#get(CHECK, '/public/check', { username }, {}, options.signal, CheckUserResponse);
    const { user, stats } = data.userInfo;
    return { secUid: user.secUid, id: user.id, followerCount: stats.followerCount, raw };
  }

  async followersPage(query: FollowersQuery): Promise<FollowersPage> {
    const params = { secUid: query.secUid, count: pageSize(query.count), nextCursor: query.cursor };
    const { data, raw } =
      query.accountKey === undefined
        ? await this.#get(PUBLIC_FOLLOWERS, '/public/followers', params, {}, query.signal, FollowersResponse)
        : await this.#get(USER_FOLLOWERS, '/user/followers', params, { 'X-ACCOUNT-KEY': query.accountKey }, query.signal, FollowersResponse);
    return { items: data.userList ?? [], nextCursor: data.nextCursor || null, hasMore: data.hasMore ?? false, raw };
  }

  async hashtagPage(query: HashtagQuery): Promise<HashtagPage> {
    const params = { name: query.name, id: query.id, count: pageSize(query.count), cursor: query.cursor };
    const { data, raw } = await this.#get(HASHTAG, '/public/hashtag', params, {}, query.signal, HashtagResponse);
    return {
      challengeId: data.challengeInfo?.challenge?.id ?? null,
      items: data.itemList ?? [],
      cursor: data.cursor || null,
      hasMore: data.hasMore ?? false,
      raw,
    };
  }

  /** Pages through a followers list until `hasMore` is false. */
  async *iterateFollowers(query: IterateFollowersQuery): AsyncGenerator<FollowersPage, void, undefined> {
    const { startCursor, beforePage, ...rest } = query;
    let cursor = startCursor;
    for (;;) {
      await beforePage?.();
      const page = await this.followersPage({ ...rest, ...(cursor === undefined ? {} : { cursor }) });
      yield page;
      if (!page.hasMore || page.nextCursor === null) return;
      assertAdvanced(followersEndpoint(rest.accountKey), cursor, page.nextCursor);
      cursor = page.nextCursor;
    }
  }

  /**
   * Pages through a hashtag feed. As TikAPI documents, only the first request uses `name`; every
   * later one uses the id from `challengeInfo.challenge.id`.
   */
  async *iterateHashtag(query: IterateHashtagQuery): AsyncGenerator<HashtagPage, void, undefined> {
    const { startCursor, beforePage, name, id, ...rest } = query;
    let cursor = startCursor;
    let selector: { name: string } | { id: string } = id === undefined ? { name: name ?? '' } : { id };
    for (;;) {
      await beforePage?.();
      const page = await this.hashtagPage({ ...rest, ...selector, ...(cursor === undefined ? {} : { cursor }) });
      yield page;
      if (!page.hasMore || page.cursor === null) return;
      if ('name' in selector) {
        if (page.challengeId === null) {
          throw new Permanent({ upstream: 'tikapi', endpoint: HASHTAG, code: 'invalid_response', message: `TikAPI ${HASHTAG} returned no challenge id to continue paging with`, body: page.raw });
        }
        selector = { id: page.challengeId };
      }
      assertAdvanced(HASHTAG, cursor, page.cursor);
      cursor = page.cursor;
    }
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  async #get<T>(
    endpoint: string,
    path: string,
    query: Record<string, string | number | undefined>,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    schema: ZodType<T>,
  ): Promise<{ data: T; raw: unknown }> {
    return this.#http.requestJson(
      {
        method: 'GET',
        path,
        endpoint,
        query,
        headers: { accept: 'application/json', 'X-API-KEY': this.#apiKey, ...headers },
        idempotent: true,
        ...(signal === undefined ? {} : { signal }),
      },
      schema,
      (response: JsonResponse) =>
        classifyTikApiError(response.status, response.body, response.headers, {
          endpoint,
          // TikAPI meters per API key, account-key endpoints included.
          scope: this.quotaScope,
          defaultRetryAfterMs: this.#defaultRetryAfterMs,
        }),
    );
  }
}

function pageSize(count: number | undefined): number {
  if (count === undefined || !Number.isFinite(count)) return MAX_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(count)));
}

function followersEndpoint(accountKey: string | undefined): string {
  return accountKey === undefined ? PUBLIC_FOLLOWERS : USER_FOLLOWERS;
}

/** A cursor that does not move would page forever; stop with the evidence instead. */
function assertAdvanced(endpoint: string, previous: string | undefined, next: string): void {
  if (previous !== next) return;
  throw new Permanent({
    upstream: 'tikapi',
    endpoint,
    code: 'cursor_stuck',
    message: `TikAPI ${endpoint} returned the same cursor twice while claiming more items`,
  });
}
