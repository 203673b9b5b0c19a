import { followerCountOnDay, joinersPerDay, nextPresentSlot, presentSlotsFrom } from './churn';
import {
  KEYS,
  encodeHashtagId,
  encodeSecUid,
  numericId,
  offsetSeed,
  permute,
  seedFromNumber,
  seedFromText,
  videoSeed,
  type SecUidSubject,
  type Seed,
} from './ids';

/**
 * Deterministic generators. A profile's followers and a hashtag's videos are pure functions of
 * (seed, index), so any page can be served in O(page size) with no state, in the same order, forever.
 */

export interface UserSummary {
  id: string;
  uniqueId: string;
  nickname: string;
  secUid: string;
  avatarThumb: string;
  verified: boolean;
}

export interface UserStats {
  followerCount: number;
  followingCount: number;
  heartCount: number;
  videoCount: number;
}

export interface ListedUser {
  user: UserSummary;
  stats: UserStats;
}

/** A user whose followers can be listed: the listed shape (as of day 0) plus the seed its followers derive from. */
export interface Profile extends ListedUser {
  seed: Seed;
  /** `private_N`: TikAPI still finds it, but its followers and posts come back empty. */
  privateAccount: boolean;
  /** N for `user_N`, the only profiles with generated posts; null for everyone else. */
  postsOf: number | null;
}

/** Own profile size for account keys that are not `acct_<N>`. */
export const ACCOUNT_KEY_FOLLOWERS = 100;
/** Generated fans have small audiences so that crawling one level deeper stays cheap. */
const FAN_MAX_FOLLOWERS = 2_000;
const FAN_ID_WIDTH = 6;

function avatarFor(id: string): string {
  return `https://p16-sign-va.tiktokcdn.com/sandbox/avatar/${id}~c5_100x100.jpeg`;
}

function statsFor(seed: Seed, followerCount: number): UserStats {
  return {
    followerCount,
    followingCount: 10 + (seed.hi % 990),
    heartCount: (seed.lo % 97) * 1_000 + followerCount * 3,
    videoCount: seed.hi % 300,
  };
}

/**
 * The one shape every generated profile has: an id of `idDigits` digits drawn from the seed, the
 * avatar that id implies, never verified, and stats for `followers`.
 */
function generatedProfile(input: {
  seed: Seed;
  idDigits: 5 | 6 | 7;
  uniqueId: string;
  nickname: string;
  subject: SecUidSubject;
  followers: number;
  privateAccount?: boolean;
  postsOf?: number | null;
}): Profile {
  const id = numericId(input.idDigits, input.seed);
  return {
    seed: input.seed,
    privateAccount: input.privateAccount ?? false,
    postsOf: input.postsOf ?? null,
    user: {
      id,
      uniqueId: input.uniqueId,
      nickname: input.nickname,
      secUid: encodeSecUid(input.subject),
      avatarThumb: avatarFor(id),
      verified: false,
    },
    stats: statsFor(input.seed, input.followers),
  };
}

/** `user_N`: exactly N followers. */
export function userProfile(n: number): Profile {
  const seed = permute(seedFromNumber(n), KEYS.user);
  return generatedProfile({ seed, idDigits: 6, uniqueId: `user_${n}`, nickname: `Sandbox User ${n}`, subject: { kind: 'user', n }, followers: n, postsOf: n });
}

/** `private_N`: a private account with N followers nobody outside can list. */
export function privateProfile(n: number): Profile {
  const seed = permute(seedFromNumber(n), KEYS.private);
  return generatedProfile({ seed, idDigits: 6, uniqueId: `private_${n}`, nickname: `Sandbox Private ${n}`, subject: { kind: 'private', n }, followers: n, privateAccount: true });
}

/**
 * A posting account's public profile when its username is not `user_N` (a QR-linked "alice", an
 * accountId that is a UUID): 100 followers, and the sandbox's own publishes as its posts.
 */
export function namedProfile(username: string): Profile {
  const seed = permute(seedFromText(username), KEYS.named);
  return generatedProfile({ seed, idDigits: 6, uniqueId: username, nickname: username, subject: { kind: 'named', username }, followers: ACCOUNT_KEY_FOLLOWERS });
}

/** Fans are the generated followers; their uniqueIds decode back to the seed, so they can be crawled too. */
export function fanProfile(seed: Seed): Profile {
  const handle = seed.hi.toString(36).padStart(FAN_ID_WIDTH, '0') + seed.lo.toString(36).padStart(FAN_ID_WIDTH, '0');
  return generatedProfile({ seed, idDigits: 7, uniqueId: `fan_${handle}`, nickname: `Fan ${handle.slice(-5)}`, subject: { kind: 'fan', seed }, followers: seed.lo % FAN_MAX_FOLLOWERS });
}

/** The own profile behind an account key that does not name `user_N`. */
export function accountKeyProfile(seed: Seed): Profile {
  return generatedProfile({
    seed,
    idDigits: 5,
    uniqueId: `account_${seed.hi.toString(36)}${seed.lo.toString(36)}`,
    nickname: 'Sandbox Account',
    subject: { kind: 'account', seed },
    followers: ACCOUNT_KEY_FOLLOWERS,
  });
}

export function profileForSubject(subject: SecUidSubject): Profile {
  switch (subject.kind) {
    case 'user':
      return userProfile(subject.n);
    case 'private':
      return privateProfile(subject.n);
    case 'named':
      return namedProfile(subject.username);
    case 'fan':
      return fanProfile(subject.seed);
    case 'account':
      return accountKeyProfile(subject.seed);
  }
}

/** The user an `X-ACCOUNT-KEY` is logged in as: `acct_<N>` is `user_N`, anything else a 100-follower user. */
export function profileForAccountKey(key: string): Profile {
  const n = accountNumber(key);
  if (n !== null) return userProfile(n);
  return accountKeyProfile(permute(seedFromText(key), KEYS.account));
}

export function accountNumber(key: string): number | null {
  const match = /^acct_(0|[1-9]\d{0,15})$/.exec(key);
  if (match?.[1] === undefined) return null;
  const n = Number(match[1]);
  return Number.isSafeInteger(n) ? n : null;
}

/** `user_N`, `private_N` or a fan handle; null for every other name. */
export function profileForUsername(username: string): Profile | null {
  const user = /^(user|private)_(0|[1-9]\d{0,15})$/.exec(username);
  if (user?.[1] !== undefined && user[2] !== undefined) {
    const n = Number(user[2]);
    if (!Number.isSafeInteger(n)) return null;
    return user[1] === 'user' ? userProfile(n) : privateProfile(n);
  }
  const fan = /^fan_([0-9a-z]{6})([0-9a-z]{6})$/.exec(username);
  if (fan?.[1] !== undefined && fan[2] !== undefined) {
    const seed = { hi: parseInt(fan[1], 36), lo: parseInt(fan[2], 36) };
    if (seed.hi < 1e9 && seed.lo < 1e9) return fanProfile(seed);
  }
  return null;
}

/** Follower `index` (0-based) of `owner`: distinct for distinct indexes because `permute` is a bijection. */
export function followerAt(owner: Profile, index: number): ListedUser {
  const fan = fanProfile(permute(offsetSeed(owner.seed, index), KEYS.fan));
  return { user: fan.user, stats: fan.stats };
}

export interface FollowersPage {
  userList: ListedUser[];
  /** The slot the next page starts at: what the numeric `nextCursor` carries. */
  next: number;
  hasMore: boolean;
}

/** Followers listed on `day` from slot `fromSlot` on; see `churn.ts` for who is listed when. */
export function followersPage(owner: Profile, fromSlot: number, count: number, day: number): FollowersPage {
  const base = owner.stats.followerCount;
  const { slots, next } = presentSlotsFrom(base, fromSlot, day, count);
  return {
    userList: slots.map((slot) => followerAt(owner, slot)),
    next,
    hasMore: nextPresentSlot(base, next, day) !== null,
  };
}

/**
 * How a profile's counts move with the sandbox day: followers by the churn rule, one more
 * following and one more video a day, and likes by 500 plus ten per new follower a day.
 * `publishedVideos` adds the sandbox's own public publishes to the video count.
 */
export function statsOnDay(profile: Profile, day: number, publishedVideos = 0): UserStats {
  const base = profile.stats;
  return {
    followerCount: followerCountOnDay(base.followerCount, day),
    followingCount: base.followingCount + day,
    heartCount: base.heartCount + day * (500 + 10 * joinersPerDay(base.followerCount)),
    videoCount: base.videoCount + day + publishedVideos,
  };
}

// --- hashtags ----------------------------------------------------------------------------------

export interface Hashtag {
  n: number;
  seed: Seed;
  challengeInfo: {
    challenge: { id: string; title: string };
    stats: { videoCount: number; viewCount: number };
  };
}

export interface Video {
  id: string;
  desc: string;
  createTime: number;
  author: { id: string; uniqueId: string; nickname: string; secUid: string };
  stats: { diggCount: number; shareCount: number; commentCount: number; playCount: number };
  music: { id: string; title: string };
}

/** 2023-11-14T22:13:20Z; videos count backwards from here so the newest comes first, as upstream. */
const NEWEST_VIDEO_AT = 1_700_000_000;

/** `tag_N`: exactly N videos. */
export function hashtag(n: number): Hashtag {
  return {
    n,
    seed: permute(seedFromNumber(n), KEYS.tag),
    challengeInfo: {
      challenge: { id: encodeHashtagId(n), title: `tag_${n}` },
      stats: { videoCount: n, viewCount: n * 1_337 },
    },
  };
}

export type VideoStats = Video['stats'];

function authorOf(user: UserSummary): Video['author'] {
  return { id: user.id, uniqueId: user.uniqueId, nickname: user.nickname, secUid: user.secUid };
}

function baseVideoStats(seed: Seed): VideoStats {
  return {
    diggCount: seed.lo % 50_000,
    shareCount: seed.hi % 2_000,
    commentCount: seed.lo % 3_000,
    playCount: 1_000 + (seed.hi % 1_000_000),
  };
}

/** Every video gains a seed-chosen amount of each count per sandbox day it has been up. */
export function grownVideoStats(base: VideoStats, seed: Seed, days: number): VideoStats {
  const d = Math.max(0, days);
  return {
    diggCount: base.diggCount + d * (50 + (seed.lo % 450)),
    shareCount: base.shareCount + d * (1 + (seed.hi % 20)),
    commentCount: base.commentCount + d * (1 + (seed.lo % 40)),
    playCount: base.playCount + d * (1_000 + (seed.hi % 9_000)),
  };
}

/** Video `index` of a hashtag, with its stats as of `day`. */
export function videoAt(tag: Hashtag, index: number, day = 0): Video {
  const seed = videoSeed({ kind: 'hashtag', n: tag.n, index });
  const author = fanProfile(permute(seed, KEYS.author)).user;
  return {
    id: numericId(7, seed),
    desc: `Sandbox video ${index + 1} for #${tag.challengeInfo.challenge.title} #fyp`,
    createTime: NEWEST_VIDEO_AT - index * 900 - (seed.lo % 600),
    author: authorOf(author),
    stats: grownVideoStats(baseVideoStats(seed), seed, day),
    music: { id: numericId(6, permute(seed, KEYS.music)), title: `original sound - ${author.uniqueId}` },
  };
}

export function videosPage(tag: Hashtag, offset: number, count: number, day = 0): Video[] {
  const end = Math.min(tag.n, offset + count);
  const page: Video[] = [];
  for (let index = offset; index < end; index++) page.push(videoAt(tag, index, day));
  return page;
}

// --- user posts --------------------------------------------------------------------------------

const DAY_S = 86_400;

/** How many generated posts `user_N` has on `day`: its day-0 `videoCount`, plus one a day. */
export function generatedPostCount(profile: Profile, day: number): number {
  return profile.postsOf === null ? 0 : profile.stats.videoCount + Math.max(0, day);
}

/**
 * Post `index` (0 = oldest) of `user_N`. Post `videoCount − 1` is the newest on day 0, one day
 * before `NEWEST_VIDEO_AT`'s day ends; each later index is a day newer, so day `d` adds post
 * `videoCount − 1 + d` at the top. Stats grow from the day the post appeared.
 */
export function userPostAt(profile: Profile, n: number, index: number, day: number): Video {
  const seed = videoSeed({ kind: 'user', n, index });
  const postedOnDay = Math.max(0, index - profile.stats.videoCount + 1);
  return {
    id: numericId(7, seed),
    desc: `Sandbox post ${index + 1} by @${profile.user.uniqueId} #fyp`,
    createTime: NEWEST_VIDEO_AT + (index - profile.stats.videoCount + 1) * DAY_S - (seed.lo % 3_600),
    author: authorOf(profile.user),
    stats: grownVideoStats(baseVideoStats(seed), seed, day - postedOnDay),
    music: { id: numericId(6, permute(seed, KEYS.music)), title: `original sound - ${profile.user.uniqueId}` },
  };
}

/** A video the sandbox published for a posting account, as its author's feed and `/public/video` show it. */
export interface PublishedVideo {
  videoId: string;
  desc: string;
  /** Epoch seconds the publish completed. */
  createTime: number;
  /** The same instant in ms: the feed cursor, unique per publish. */
  createTimeMs: number;
  /** Sandbox day of the publish; stats count days from here. */
  day: number;
}

export function publishedVideo(author: Profile, published: PublishedVideo, day: number): Video {
  const seed = permute(seedFromText(published.videoId), KEYS.post);
  const zero: VideoStats = { diggCount: 0, shareCount: 0, commentCount: 0, playCount: 0 };
  return {
    id: published.videoId,
    desc: published.desc,
    createTime: published.createTime,
    author: authorOf(author.user),
    // Day of publish counts as its first day up, so a fresh post already has views.
    stats: grownVideoStats(zero, seed, day - published.day + 1),
    music: { id: numericId(6, permute(seed, KEYS.music)), title: `original sound - ${author.user.uniqueId}` },
  };
}
