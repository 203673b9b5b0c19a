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

export const PostingAccount = z.looseObject({
  accountId: z.string(),
  display_name: z.string().optional(),
  username: z.string().optional(),
});
export type PostingAccount = z.infer<typeof PostingAccount>;

export const AccountsResponse = z.looseObject({
  success: z.literal(true),
  data: z.array(PostingAccount),
});
