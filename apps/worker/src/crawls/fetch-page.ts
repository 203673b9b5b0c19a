import { crawledProfileFrom, type CrawledRows, type CrawledUser, type CrawledVideo, type VideoCounts } from '@pubcrawl/db';
import { MAX_PAGE_SIZE, Permanent, type FollowerItem, type TikApiClient, type TikTokVideo, type VideoItem } from '@pubcrawl/tiktok';

/** Where a crawl's pages come from, once its target is resolved. */
export type CrawlSource =
  | { kind: 'followers'; secUid: string; accountKey: string | null }
  /** `id` once known; the first page of a crawl created by name asks by name, as TikAPI documents. */
  | { kind: 'hashtag'; id: string | null; name: string | null }
  | { kind: 'user_posts'; secUid: string }
  /** One page: the profile itself, recorded as a stats snapshot. */
  | { kind: 'profile'; username: string };

export interface FetchedPage {
  rows: CrawledRows;
  next: { cursor: string | null; hasMore: boolean };
  /** Set when this page resolved the target (a hashtag name's challenge id). */
  resolvedId: string | null;
}

const FOLLOWERS = 'GET /public/followers';
const HASHTAG = 'GET /public/hashtag';
const POSTS = 'GET /public/posts';

/** Fetches the page after `cursor` (null: the first page) and maps it to the rows we store. */
export async function fetchCrawlPage(tikapi: TikApiClient, source: CrawlSource, cursor: string | null): Promise<FetchedPage> {
  const at = cursor === null ? {} : { cursor };
  if (source.kind === 'followers') {
    const page = await tikapi.followersPage(
      source.accountKey === null
        ? { secUid: source.secUid, count: MAX_PAGE_SIZE, ...at }
        : { secUid: source.secUid, accountKey: source.accountKey, count: MAX_PAGE_SIZE, ...at },
    );
    const next = nextOf(FOLLOWERS, cursor, page.nextCursor, page.hasMore);
    return { rows: { kind: 'followers', users: page.items.map(crawledUser) }, next, resolvedId: null };
  }
  if (source.kind === 'profile') {
    const profile = await tikapi.checkProfile(source.username);
    const rows: CrawledRows = { kind: 'profile', profile: crawledProfileFrom(source.username, profile) };
    return { rows, next: { cursor: null, hasMore: false }, resolvedId: profile.secUid };
  }
  if (source.kind === 'user_posts') {
    const page = await tikapi.userPostsPage({ secUid: source.secUid, count: MAX_PAGE_SIZE, ...at });
    const next = nextOf(POSTS, cursor, page.cursor, page.hasMore);
    return { rows: { kind: 'videos', videos: page.items.map(publicVideo) }, next, resolvedId: null };
  }
  const selector = source.id !== null ? { id: source.id } : { name: source.name ?? '' };
  const page = await tikapi.hashtagPage({ ...selector, count: MAX_PAGE_SIZE, ...at });
  let resolvedId: string | null = null;
  if (source.id === null) {
    // Later pages must ask by id; without one this crawl could never get past its first page.
    if (page.challengeId === null) {
      throw new Permanent({ upstream: 'tikapi', endpoint: HASHTAG, code: 'invalid_response', message: `TikAPI ${HASHTAG} returned no challenge id for #${source.name ?? ''}` });
    }
    resolvedId = page.challengeId;
  }
  const next = nextOf(HASHTAG, cursor, page.cursor, page.hasMore);
  return { rows: { kind: 'videos', videos: page.items.map(crawledVideo) }, next, resolvedId };
}

/**
 * "More, but no cursor" cannot be followed, and "more, same cursor" would page forever: the first is
 * the end of what we can read, the second a Permanent failure with the evidence.
 */
function nextOf(endpoint: string, previous: string | null, cursor: string | null, hasMore: boolean): { cursor: string | null; hasMore: boolean } {
  if (hasMore && cursor !== null && cursor === previous) {
    throw new Permanent({ upstream: 'tikapi', endpoint, code: 'cursor_stuck', message: `TikAPI ${endpoint} returned the same cursor twice while claiming more items` });
  }
  return { cursor, hasMore: hasMore && cursor !== null };
}

function stringField(value: unknown, key: string): string | null {
  if (typeof value !== 'object' || value === null) return null;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' ? field : typeof field === 'number' ? String(field) : null;
}

function crawledUser(item: FollowerItem): CrawledUser {
  const followerCount = item.stats?.followerCount;
  return {
    id: item.user.id,
    secUid: item.user.secUid,
    uniqueId: item.user.uniqueId,
    nickname: stringField(item.user, 'nickname'),
    // Postgres int: TikTok's largest audiences are far below 2^31, but a garbage value must not fail the page.
    followerCount: followerCount !== undefined && Number.isSafeInteger(followerCount) && Math.abs(followerCount) < 2 ** 31 ? followerCount : null,
    raw: item,
  };
}

function crawledVideo(item: VideoItem): CrawledVideo {
  const seconds = item.createTime === undefined ? NaN : Number(item.createTime);
  return {
    id: item.id,
    authorId: stringField(item.author, 'id'),
    description: item.desc ?? null,
    postedAt: Number.isFinite(seconds) ? new Date(seconds * 1000) : null,
    stats: videoCounts(item.stats),
    raw: item,
  };
}

function publicVideo(item: TikTokVideo): CrawledVideo {
  return {
    id: item.id,
    authorId: item.author.id,
    description: item.desc,
    postedAt: new Date(item.createTime * 1000),
    stats: { plays: item.stats.playCount, likes: item.stats.diggCount, comments: item.stats.commentCount, shares: item.stats.shareCount },
    raw: item,
  };
}

/** Hashtag pages type their stats loosely; a count that is not a safe number is left out, not guessed. */
export function videoCounts(stats: unknown): VideoCounts | null {
  if (typeof stats !== 'object' || stats === null) return null;
  const record = stats as Record<string, unknown>;
  const count = (key: string) => {
    const value = record[key];
    const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    return typeof number === 'number' && Number.isSafeInteger(number) && number >= 0 ? number : null;
  };
  const counts = { plays: count('playCount'), likes: count('diggCount'), comments: count('commentCount'), shares: count('shareCount') };
  return Object.values(counts).every((value) => value === null) ? null : counts;
}
