import { z } from 'zod';

// Every schema is loose: unknown fields are kept because we store the raw JSON, and TikTok adds
// fields often. We require only what our code reads, so upstream drift elsewhere does not break us.

/** TikTok ids are 64-bit; TikAPI sends them as strings, but accept numbers rather than break. */
const Id = z.union([z.string(), z.number()]).transform(String);
/** Cursors are opaque; TikAPI sends strings, hashtag cursors are sometimes numbers. */
const Cursor = z.union([z.string(), z.number()]).transform(String).nullish();

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
  nextCursor: Cursor,
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
