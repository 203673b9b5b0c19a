import type { ZodType } from 'zod';
import { asNotFoundOnTikTok, classifyTikApiError, Permanent, toError, type TikTokEntity } from './errors';
import { JsonHttpClient, type JsonResponse, type UpstreamClientOptions } from './http';
import { apiKeyScope, type QuotaScope } from './scope';
import {
  CheckUserResponse,
  FollowersResponse,
  HashtagResponse,
  ProfileResponse,
  UserPostsResponse,
  VideoResponse,
  type FollowerItem,
  type ProfileUser,
  type TikTokVideo,
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

export interface Profile {
  user: ProfileUser;
  /** What list endpoints (followers, posts) take; the same as `user.secUid`. */
  secUid: string;
  /** Private accounts still answer `/public/check`, but their lists come back empty or refused. */
  privateAccount: boolean;
  stats: { followerCount: number; followingCount: number; heartCount: number; videoCount: number };
  raw: unknown;
}

export interface VideoInfo {
  video: TikTokVideo;
  raw: unknown;
}

export interface UserPostsPage {
  /** Newest first. */
  items: TikTokVideo[];
  /** The cursor that follows this page: checkpoint it together with the items. */
  cursor: string | null;
  hasMore: boolean;
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

export type UserPostsQuery = PageOptions & { secUid: string };

export type IterateFollowersQuery = Omit<PageOptions, 'cursor'> & IterateOptions & FollowersTarget;
export type IterateHashtagQuery = Omit<PageOptions, 'cursor'> & IterateOptions & HashtagTarget;
export type IterateUserPostsQuery = Omit<PageOptions, 'cursor'> & IterateOptions & { secUid: string };

const CHECK = 'GET /public/check';
const PUBLIC_FOLLOWERS = 'GET /public/followers';
const USER_FOLLOWERS = 'GET /user/followers';
const HASHTAG = 'GET /public/hashtag';
const POSTS = 'GET /public/posts';
const VIDEO = 'GET /public/video';

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

  /**
   * Profile, stats and privacy flag by username. A user TikTok does not have throws
   * `NotFoundOnTikTok` (a `Permanent`), so a look-up can answer 404 without knowing statusCodes.
   */
  async checkProfile(username: string, options: { signal?: AbortSignal } = {}): Promise<Profile> {
    const { data, raw } = await notFoundAs('user', this.#get(CHECK, '/public/check', { username }, {}, options.signal, ProfileResponse));
    const { user, stats } = data.userInfo;
    return {
      user,
      secUid: user.secUid,
      privateAccount: user.privateAccount ?? false,
      stats: {
        followerCount: stats.followerCount,
        followingCount: stats.followingCount,
        // The schema refuses a body with neither, so 0 is never reached; it only satisfies the type.
        heartCount: stats.heartCount ?? stats.heart ?? 0,
        videoCount: stats.videoCount,
      },
      raw,
    };
  }

  /** One video by id (`/public/video`); a video TikTok does not have throws `NotFoundOnTikTok`. */
  async getVideo(videoId: string, options: { signal?: AbortSignal } = {}): Promise<VideoInfo> {
    const { data, raw } = await notFoundAs('video', this.#get(VIDEO, '/public/video', { id: videoId }, {}, options.signal, VideoResponse));
    return { video: data.itemInfo.itemStruct, raw };
  }

  /** One page of a user's posts, newest first (`/public/posts` by secUid). */
  async userPostsPage(query: UserPostsQuery): Promise<UserPostsPage> {
    const params = { secUid: query.secUid, count: pageSize(query.count), cursor: query.cursor };
    const { data, raw } = await notFoundAs('user', this.#get(POSTS, '/public/posts', params, {}, query.signal, UserPostsResponse));
    return { items: data.itemList ?? [], cursor: data.cursor || null, hasMore: data.hasMore ?? false, raw };
  }

  /** Pages through a user's posts until `hasMore` is false. */
  async *iterateUserPosts(query: IterateUserPostsQuery): AsyncGenerator<UserPostsPage, void, undefined> {
    const { startCursor, beforePage, ...rest } = query;
    let cursor = startCursor;
    for (;;) {
      await beforePage?.();
      const page = await this.userPostsPage({ ...rest, ...(cursor === undefined ? {} : { cursor }) });
      yield page;
      if (!page.hasMore || page.cursor === null) return;
      assertAdvanced(POSTS, cursor, page.cursor);
      cursor = page.cursor;
    }
  }

  async followersPage(query: FollowersQuery): Promise<FollowersPage> {
    const params = { secUid: query.secUid, count: pageSize(query.count), nextCursor: query.cursor };
    const { data, raw } =
      query.accountKey === undefined
        ? await this.#get(PUBLIC_FOLLOWERS, '/public/followers', params, {}, query.signal, FollowersResponse)
        : await this.#get(USER_FOLLOWERS, '/user/followers', params, { 'X-ACCOUNT-KEY': query.accountKey }, query.signal, FollowersResponse);
    return { items: data.userList ?? [], nextCursor: data.nextCursor, hasMore: data.hasMore ?? false, raw };
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

/** Re-throws a TikAPI "doesn't exist" for `entity` as `NotFoundOnTikTok`; anything else unchanged. */
async function notFoundAs<T>(entity: TikTokEntity, request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (caught) {
    throw asNotFoundOnTikTok(toError(caught), entity);
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
