import {
  KEYS,
  encodeHashtagId,
  encodeSecUid,
  numericId,
  offsetSeed,
  permute,
  seedFromNumber,
  seedFromText,
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

/** A user whose followers can be listed: the listed shape plus the seed its followers derive from. */
export interface Profile extends ListedUser {
  seed: Seed;
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

/** `user_N`: exactly N followers. */
export function userProfile(n: number): Profile {
  const seed = permute(seedFromNumber(n), KEYS.user);
  const id = numericId(6, seed);
  const uniqueId = `user_${n}`;
  return {
    seed,
    user: {
      id,
      uniqueId,
      nickname: `Sandbox User ${n}`,
      secUid: encodeSecUid({ kind: 'user', n }),
      avatarThumb: avatarFor(id),
      verified: false,
    },
    stats: statsFor(seed, n),
  };
}

/** Fans are the generated followers; their uniqueIds decode back to the seed, so they can be crawled too. */
export function fanProfile(seed: Seed): Profile {
  const id = numericId(7, seed);
  const handle = seed.hi.toString(36).padStart(FAN_ID_WIDTH, '0') + seed.lo.toString(36).padStart(FAN_ID_WIDTH, '0');
  return {
    seed,
    user: {
      id,
      uniqueId: `fan_${handle}`,
      nickname: `Fan ${handle.slice(-5)}`,
      secUid: encodeSecUid({ kind: 'fan', seed }),
      avatarThumb: avatarFor(id),
      verified: false,
    },
    stats: statsFor(seed, seed.lo % FAN_MAX_FOLLOWERS),
  };
}

/** The own profile behind an account key that does not name `user_N`. */
export function accountKeyProfile(seed: Seed): Profile {
  const id = numericId(5, seed);
  return {
    seed,
    user: {
      id,
      uniqueId: `account_${seed.hi.toString(36)}${seed.lo.toString(36)}`,
      nickname: 'Sandbox Account',
      secUid: encodeSecUid({ kind: 'account', seed }),
      avatarThumb: avatarFor(id),
      verified: false,
    },
    stats: statsFor(seed, ACCOUNT_KEY_FOLLOWERS),
  };
}

export function profileForSubject(subject: SecUidSubject): Profile {
  switch (subject.kind) {
    case 'user':
      return userProfile(subject.n);
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

/** `user_N` or a fan handle; null for every other name. */
export function profileForUsername(username: string): Profile | null {
  const user = /^user_(0|[1-9]\d{0,15})$/.exec(username);
  if (user?.[1] !== undefined) {
    const n = Number(user[1]);
    return Number.isSafeInteger(n) ? userProfile(n) : null;
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

export function followersPage(owner: Profile, offset: number, count: number): ListedUser[] {
  const end = Math.min(owner.stats.followerCount, offset + count);
  const page: ListedUser[] = [];
  for (let index = offset; index < end; index++) page.push(followerAt(owner, index));
  return page;
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

export function videoAt(tag: Hashtag, index: number): Video {
  const seed = permute(offsetSeed(tag.seed, index), KEYS.video);
  const author = fanProfile(permute(seed, KEYS.author)).user;
  return {
    id: numericId(7, seed),
    desc: `Sandbox video ${index + 1} for #${tag.challengeInfo.challenge.title} #fyp`,
    createTime: NEWEST_VIDEO_AT - index * 900 - (seed.lo % 600),
    author: { id: author.id, uniqueId: author.uniqueId, nickname: author.nickname, secUid: author.secUid },
    stats: {
      diggCount: seed.lo % 50_000,
      shareCount: seed.hi % 2_000,
      commentCount: seed.lo % 3_000,
      playCount: 1_000 + (seed.hi % 1_000_000),
    },
    music: { id: numericId(6, permute(seed, KEYS.music)), title: `original sound - ${author.uniqueId}` },
  };
}

export function videosPage(tag: Hashtag, offset: number, count: number): Video[] {
  const end = Math.min(tag.n, offset + count);
  const page: Video[] = [];
  for (let index = offset; index < end; index++) page.push(videoAt(tag, index));
  return page;
}
