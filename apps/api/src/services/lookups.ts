import { setTimeout as sleep } from 'node:timers/promises';
import {
  crawledProfileFrom,
  findProfile,
  findVideo,
  latestProfileSnapshot,
  latestVideoSnapshot,
  profileKey,
  storeProfileLookup,
  storeVideoLookup,
  type ProfileRow,
  type VideoRow,
} from '@pubcrawl/db';
import { toError } from '@pubcrawl/errors';
import { NotFoundOnTikTok, Permanent, RateLimited, UpstreamError } from '@pubcrawl/tiktok';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { singleFlight, SingleFlightTimeout } from './single-flight';

/** Longer than one upstream call with its quota wait; a leader that dies frees the handle after this. */
const LEASE_MS = 15_000;

type Source = 'cache' | 'upstream';

function isFresh(fetchedAt: Date | null, maxAgeMs: number): boolean {
  return fetchedAt !== null && maxAgeMs > 0 && Date.now() - fetchedAt.getTime() < maxAgeMs;
}

/**
 * One TikAPI request's worth of the key's quota, from the bucket the workers' crawls share. A look-up
 * answers a waiting client, so it never queues for long: no token within a second is a 503 with
 * Retry-After rather than a request that would earn a 429.
 */
async function takeQuota(context: ApiContext): Promise<void> {
  const { client, quota } = context.tikapi;
  const decision = await quota.acquire([client.quotaScope], { maxDelayMs: 1_000 });
  if (!decision.granted) throw quotaExhausted(decision.waitMs);
  if (decision.delayMs > 0) await sleep(decision.delayMs);
}

function quotaExhausted(waitMs: number): ApiError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1_000));
  return new ApiError(503, 'upstream_unavailable', `the TikAPI quota is used up for now; retry in ${seconds} s`, undefined, seconds);
}

/** Upstream failures of a look-up, as answers: never a 500, and a 429 never passes through as a storm. */
async function lookupFailure(context: ApiContext, caught: unknown, what: string): Promise<ApiError> {
  const error = toError(caught);
  if (error instanceof ApiError) return error;
  if (error instanceof NotFoundOnTikTok) return new ApiError(404, 'not_found_on_tiktok', `${what} does not exist on TikTok`);
  if (error instanceof RateLimited) {
    // The whole fleet (crawls included) holds off as TikAPI said.
    await context.tikapi.quota.block(error.scope ?? context.tikapi.client.quotaScope, error.retryAfterMs);
    return quotaExhausted(error.retryAfterMs);
  }
  if (error instanceof SingleFlightTimeout) return new ApiError(503, 'upstream_unavailable', `another request is still fetching ${what}; retry shortly`, undefined, 1);
  if (error instanceof Permanent) return new ApiError(502, 'upstream_unavailable', `TikAPI refused: ${error.message}`);
  if (error instanceof UpstreamError) return new ApiError(503, 'upstream_unavailable', `TikAPI is unavailable: ${error.message}`, undefined, 5);
  throw error;
}

interface CachedLookup<Row> {
  /** The Redis lock's name: one per handle or video, fleet-wide. */
  lockKey: string;
  /** What the store holds now (null: never looked up). */
  find: () => Promise<Row | null>;
  fetchedAt: (row: Row) => Date | null;
  /** One upstream call and its store; runs under the lock and the quota. */
  fetchAndStore: () => Promise<Row>;
  /** How a failure is named in the answer: `@user_5`, `video 7…`. */
  what: string;
}

/**
 * The cached look-up both kinds share: the store while fresher than maxAge, otherwise one upstream
 * call fleet-wide (single flight), whose answer every concurrent caller reads back from Postgres.
 */
async function cachedLookup<Row>(context: ApiContext, maxAgeS: number, lookup: CachedLookup<Row>): Promise<{ row: Row; source: Source }> {
  const maxAgeMs = maxAgeS * 1_000;
  const cached = await lookup.find();
  if (cached !== null && isFresh(lookup.fetchedAt(cached), maxAgeMs)) return { row: cached, source: 'cache' };
  const startedAt = new Date();
  try {
    const { value } = await singleFlight(
      context.redis,
      lookup.lockKey,
      async () => {
        // Another request may have stored it between our read and taking the lock.
        const again = await lookup.find();
        if (again !== null && isFresh(lookup.fetchedAt(again), maxAgeMs)) return { row: again, source: 'cache' as Source };
        await takeQuota(context);
        return { row: await lookup.fetchAndStore(), source: 'upstream' as Source };
      },
      async () => {
        const row = await lookup.find();
        const fetchedAt = row === null ? null : lookup.fetchedAt(row);
        return row !== null && fetchedAt !== null && fetchedAt >= startedAt ? { row, source: 'cache' as Source } : null;
      },
      { leaseMs: LEASE_MS, waitMs: LEASE_MS },
    );
    return value;
  } catch (caught) {
    throw await lookupFailure(context, caught, lookup.what);
  }
}

export async function lookUpProfile(context: ApiContext, username: string, maxAgeS: number) {
  const key = profileKey(username);
  const { row, source } = await cachedLookup(context, maxAgeS, {
    lockKey: `${context.env.QUEUE_PREFIX}:lookup:profile:${key}`,
    find: () => findProfile(context.db.db, key),
    fetchedAt: (profile) => profile.fetchedAt,
    fetchAndStore: async () => storeProfileLookup(context.db.db, crawledProfileFrom(key, await context.tikapi.client.checkProfile(key)), new Date()),
    what: `@${key}`,
  });
  return profileView(context, row, source);
}

async function profileView(context: ApiContext, row: ProfileRow, source: Source) {
  const snapshot = await latestProfileSnapshot(context.db.db, row.username);
  return {
    username: row.username,
    userId: row.userId,
    secUid: row.secUid,
    nickname: row.nickname,
    privateAccount: row.privateAccount,
    stats: snapshot === null ? null : { followers: snapshot.followers, following: snapshot.following, likes: snapshot.likes, videos: snapshot.videos },
    source,
    fetchedAt: row.fetchedAt.toISOString(),
  };
}

export async function lookUpVideo(context: ApiContext, videoId: string, maxAgeS: number) {
  const { row, source } = await cachedLookup(context, maxAgeS, {
    lockKey: `${context.env.QUEUE_PREFIX}:lookup:video:${videoId}`,
    find: () => findVideo(context.db.db, videoId),
    // A video seen only in a crawl has no fetched_at: its crawl copy is not a look-up answer.
    fetchedAt: (video) => video.fetchedAt,
    fetchAndStore: async () => {
      const { video, raw } = await context.tikapi.client.getVideo(videoId);
      return storeVideoLookup(
        context.db.db,
        {
          id: video.id,
          authorId: video.author.id,
          description: video.desc,
          postedAt: new Date(video.createTime * 1_000),
          counts: { plays: video.stats.playCount, likes: video.stats.diggCount, comments: video.stats.commentCount, shares: video.stats.shareCount },
          raw,
        },
        new Date(),
      );
    },
    what: `video ${videoId}`,
  });
  return videoView(context, row, source);
}

async function videoView(context: ApiContext, row: VideoRow, source: Source) {
  const snapshot = await latestVideoSnapshot(context.db.db, row.id);
  return {
    id: row.id,
    authorId: row.authorId,
    description: row.description,
    postedAt: row.postedAt?.toISOString() ?? null,
    stats: snapshot === null ? null : { plays: snapshot.plays, likes: snapshot.likes, comments: snapshot.comments, shares: snapshot.shares },
    source,
    fetchedAt: (row.fetchedAt ?? row.updatedAt).toISOString(),
  };
}
