import { z } from 'zod';

// Every schema is loose: unknown fields are kept because we store the raw JSON, and TikTok adds
// fields often. We require only what our code reads, so upstream drift elsewhere does not break us.

/** TikTok ids are 64-bit; TikAPI sends them as strings, but accept numbers rather than break. */
const Id = z.union([z.string(), z.number()]).transform(String);
/** Cursors are opaque; TikAPI sends strings, hashtag cursors are sometimes numbers. */
const Cursor = z.union([z.string(), z.number()]).transform(String).nullish();

/**
 * Followers' `nextCursor`: a number in current TikAPI (the SDK 3.2 changelog: "update
 * following/followers cursor type"), a string in older answers and in cursors checkpointed before.
 * Either way we carry it as a string, which is what crawl checkpoints store and send back. 0 and ""
 * name no page (TikAPI's last page says 0), so both read as "no cursor".
 */
export const FollowerCursor = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((value) => (value === undefined || value === null || value === 0 || value === '' ? null : String(value)));

const Success = {
  status: z.literal('success').optional(),
  statusCode: z.number().optional(),
};

export const TikTokUser = z.looseObject({
  id: Id,
  uniqueId: z.string(),
  secUid: z.string(),
});
export type TikTokUser = z.infer<typeof TikTokUser>;

export const TikTokUserStats = z.looseObject({
  followerCount: z.number().optional(),
  followingCount: z.number().optional(),
});
export type TikTokUserStats = z.infer<typeof TikTokUserStats>;

export const CheckUserResponse = z.looseObject({
  ...Success,
  userInfo: z.looseObject({
    user: TikTokUser,
    stats: TikTokUserStats.extend({ followerCount: z.number() }),
  }),
});
export type CheckUserResponse = z.infer<typeof CheckUserResponse>;

/** One follower row; the object is the upstream row itself, unknown fields included. */
export const FollowerItem = z.looseObject({
  user: TikTokUser,
  stats: TikTokUserStats.optional(),
});
export type FollowerItem = z.infer<typeof FollowerItem>;

export const FollowersResponse = z.looseObject({
  ...Success,
  // TikTok omits the list entirely on an empty page.
  userList: z.array(FollowerItem).optional(),
  nextCursor: FollowerCursor,
  hasMore: z.boolean().optional(),
  total: z.number().optional(),
});
export type FollowersResponse = z.infer<typeof FollowersResponse>;

/** One video row of a hashtag feed, unknown fields included. */
export const VideoItem = z.looseObject({
  id: Id,
  desc: z.string().optional(),
  createTime: z.union([z.number(), z.string()]).optional(),
  author: z.unknown().optional(),
  stats: z.unknown().optional(),
});
export type VideoItem = z.infer<typeof VideoItem>;

export const HashtagResponse = z.looseObject({
  ...Success,
  challengeInfo: z
    .looseObject({
      challenge: z.looseObject({ id: Id, title: z.string().optional() }).optional(),
      stats: z.looseObject({ videoCount: z.number().optional() }).optional(),
    })
    .optional(),
  itemList: z.array(VideoItem).optional(),
  cursor: Cursor,
  hasMore: z.boolean().optional(),
});
export type HashtagResponse = z.infer<typeof HashtagResponse>;

/** A profile's counts as `/public/check` reports them. Some answers name likes `heart`, most `heartCount`. */
export const ProfileStats = z
  .looseObject({
    followerCount: z.number(),
    followingCount: z.number(),
    heartCount: z.number().optional(),
    heart: z.number().optional(),
    videoCount: z.number(),
  })
  .refine((stats) => stats.heartCount !== undefined || stats.heart !== undefined, { message: 'heartCount (or heart) is required' });
export type ProfileStats = z.infer<typeof ProfileStats>;

export const ProfileUser = TikTokUser.extend({
  nickname: z.string().optional(),
  verified: z.boolean().optional(),
  privateAccount: z.boolean().optional(),
  avatarThumb: z.string().optional(),
});
export type ProfileUser = z.infer<typeof ProfileUser>;

export const ProfileResponse = z.looseObject({
  ...Success,
  userInfo: z.looseObject({ user: ProfileUser, stats: ProfileStats }),
});
export type ProfileResponse = z.infer<typeof ProfileResponse>;

/** A video's counts; the snapshot post performance and video history store. */
export const VideoStats = z.looseObject({
  playCount: z.number(),
  diggCount: z.number(),
  commentCount: z.number(),
  shareCount: z.number(),
});
export type VideoStats = z.infer<typeof VideoStats>;

/** A video as `/public/video` and `/public/posts` describe it, with the fields snapshots rely on required. */
export const TikTokVideo = z.looseObject({
  id: Id,
  desc: z.string().default(''),
  /** Epoch seconds; some answers send it as a numeric string. */
  createTime: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]),
  stats: VideoStats,
  author: z.looseObject({ id: Id, uniqueId: z.string(), secUid: z.string().optional() }),
});
export type TikTokVideo = z.infer<typeof TikTokVideo>;

export const VideoResponse = z.looseObject({
  ...Success,
  itemInfo: z.looseObject({ itemStruct: TikTokVideo }),
});
export type VideoResponse = z.infer<typeof VideoResponse>;

export const UserPostsResponse = z.looseObject({
  ...Success,
  // As with followers, an empty feed may come without the list.
  itemList: z.array(TikTokVideo).optional(),
  cursor: Cursor,
  hasMore: z.boolean().optional(),
});
export type UserPostsResponse = z.infer<typeof UserPostsResponse>;
