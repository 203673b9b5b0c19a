import { z } from 'zod';

// Response schemas are loose (unknown fields kept, we store the raw JSON); the request body is
// ours, so it is checked strictly before it leaves.

export const PrivacyLevel = z.enum(['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'FOLLOWER_OF_CREATOR', 'SELF_ONLY']);
export type PrivacyLevel = z.infer<typeof PrivacyLevel>;

export const PostingTikTokSettings = z.object({
  privacy_level: PrivacyLevel,
  allow_comment: z.boolean(),
  /** Video only. */
  allow_duet: z.boolean().optional(),
  /** Video only. */
  allow_stitch: z.boolean().optional(),
  video_cover_timestamp_ms: z.number().int().nonnegative().optional(),
  /** Photo carousels: 0 = first photo. */
  photo_cover_index: z.number().int().nonnegative().optional(),
  /** Photo carousels only; the upstream defaults it to true for photos. */
  auto_add_music: z.boolean().optional(),
  video_made_with_ai: z.boolean().optional(),
  /** Send to the creator's TikTok inbox instead of publishing. */
  draft: z.boolean().optional(),
  media_type: z.enum(['video', 'photo']).optional(),
});
export type PostingTikTokSettings = z.infer<typeof PostingTikTokSettings>;

export const PostingCreatePostBody = z.object({
  accountId: z.string().min(1),
  /** Video caption (2,200 chars) or photo description (4,000 chars). */
  content: z.string().max(4000).optional(),
  /** Photo carousel title, 90 chars. */
  photoTitle: z.string().max(90).optional(),
  /** One video, or 2-35 photos; the upstream refuses mixing the two. */
  mediaItems: z.array(z.object({ url: z.url() })).min(1).max(35),
  tiktokSettings: PostingTikTokSettings,
});
export type PostingCreatePostBody = z.infer<typeof PostingCreatePostBody>;

export const PostingMediaType = z.enum(['video', 'photo']);
export type PostingMediaType = z.infer<typeof PostingMediaType>;

export const CreatePostResponse = z.looseObject({
  success: z.literal(true),
  data: z.looseObject({
    publish_id: z.string().min(1),
    public_post_url: z.string().nullish(),
  }),
  mediaType: PostingMediaType,
});
export type CreatePostResponse = z.infer<typeof CreatePostResponse>;

/**
 * TikTok's publish states. Strict on purpose: a state we do not know cannot be mapped onto our post
 * state machine, and guessing (e.g. "probably done") is worse than a loud failure.
 */
export const PublishStatus = z.enum(['PROCESSING_UPLOAD', 'PROCESSING_DOWNLOAD', 'SEND_TO_USER_INBOX', 'PUBLISH_COMPLETE', 'FAILED']);
export type PublishStatus = z.infer<typeof PublishStatus>;

export const PublishStatusResponse = z.looseObject({
  success: z.literal(true),
  data: z.looseObject({
    publish_id: z.string(),
    status: PublishStatus,
    fail_reason: z.string().nullish(),
    public_post_url: z.string().nullish(),
  }),
});
export type PublishStatusResponse = z.infer<typeof PublishStatusResponse>;

export const CreatorInfo = z.looseObject({
  creator_username: z.string().optional(),
  creator_nickname: z.string().optional(),
  creator_avatar_url: z.string().optional(),
  /** The privacy levels this creator may use; a post must pick one of them. */
  privacy_level_options: z.array(z.string()).optional(),
  comment_disabled: z.boolean().optional(),
  duet_disabled: z.boolean().optional(),
  stitch_disabled: z.boolean().optional(),
  max_video_post_duration_sec: z.number().optional(),
});
export type CreatorInfo = z.infer<typeof CreatorInfo>;

export const CreatorInfoResponse = z.looseObject({
  success: z.literal(true),
  data: CreatorInfo,
});

const count = z.number().int().nonnegative();

/** One entry of `GET /api/content/accounts`. Seed 004 shows entries with only the first three fields. */
export const PostingAccount = z.looseObject({
  accountId: z.string(),
  display_name: z.string().optional(),
  username: z.string().optional(),
  avatar_url: z.string().nullish(),
  bio_description: z.string().nullish(),
  followers: count.nullish(),
  following: count.nullish(),
  likes: count.nullish(),
  videos: count.nullish(),
  is_verified: z.boolean().nullish(),
});
export type PostingAccount = z.infer<typeof PostingAccount>;

export const AccountsResponse = z.looseObject({
  success: z.literal(true),
  /** The API key's plan, e.g. "maximum"; it decides whether QR login is available. */
  subscription: z.string().optional(),
  data: z.array(PostingAccount),
});

/** Seed 004: optional, at least 8 characters; the provider makes one up when absent. */
export const QrLoginRequestBody = z.strictObject({
  unique_id: z.string().min(8).optional(),
});
export type QrLoginRequestBody = z.infer<typeof QrLoginRequestBody>;

export const QrLoginRequestResponse = z.looseObject({
  success: z.literal(true),
  data: z.looseObject({
    qrCodeImage: z.string().startsWith('data:image/'),
    token: z.string().min(1),
    unique_id: z.string().min(1),
    /** Seconds the code stays scannable; 300 in seed 004. */
    expiresIn: z.number().positive(),
  }),
});
export type QrLoginRequestResponse = z.infer<typeof QrLoginRequestResponse>;

/**
 * Strict like PublishStatus: a status we do not know cannot be mapped onto a link's state, and
 * reading it as "still waiting" would poll forever.
 */
export const QrLoginStatus = z.enum(['new', 'scanned', 'confirmed', 'expired', 'utilised']);
export type QrLoginStatus = z.infer<typeof QrLoginStatus>;

export const QrLoginWireAccount = z.looseObject({
  accountId: z.string().min(1),
  display_name: z.string().optional(),
  username: z.string().min(1),
});

export const QrLoginCheckResponse = z.looseObject({
  success: z.literal(true),
  data: z
    .looseObject({
      status: QrLoginStatus,
      unique_id: z.string(),
      account: QrLoginWireAccount.optional(),
      message: z.string().optional(),
    })
    // The account arrives exactly once (later checks say `utilised`), so a confirmed answer without
    // it would lose the link for good: refuse it loudly rather than report a link with no account.
    .refine((data) => data.status !== 'confirmed' || data.account !== undefined, { message: 'a confirmed check must carry the account', path: ['account'] }),
});
export type QrLoginCheckResponse = z.infer<typeof QrLoginCheckResponse>;
