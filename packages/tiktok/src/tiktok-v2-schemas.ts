import { z } from 'zod';

/** TikTok's privacy levels for a direct post; unaudited apps may only use `SELF_ONLY`. */
export const TikTokPrivacyLevel = z.enum(['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'FOLLOWER_OF_CREATOR', 'SELF_ONLY']);
export type TikTokPrivacyLevel = z.infer<typeof TikTokPrivacyLevel>;

/** Every v2 answer carries this, `code: 'ok'` on success; `log_id` is what TikTok support asks for. */
export const TikTokApiError = z.looseObject({
  code: z.string(),
  message: z.string().optional(),
  log_id: z.string().optional(),
});
export type TikTokApiError = z.infer<typeof TikTokApiError>;

const envelope = <T extends z.ZodType>(data: T) => z.looseObject({ data, error: TikTokApiError });

/** `/v2/oauth/token/` success. `scope` is comma-separated. */
export const TikTokTokenResponse = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.number().int().nonnegative(),
  open_id: z.string().min(1),
  refresh_token: z.string().min(1),
  refresh_expires_in: z.number().int().nonnegative(),
  scope: z.string(),
  token_type: z.string(),
});
export type TikTokTokenResponse = z.infer<typeof TikTokTokenResponse>;

/** The OAuth endpoints' own error shape, unlike the API's nested `error` object. */
export const TikTokOAuthError = z.looseObject({
  error: z.string(),
  error_description: z.string().optional(),
  log_id: z.string().optional(),
});

export const TikTokV2User = z.looseObject({
  open_id: z.string().optional(),
  union_id: z.string().optional(),
  avatar_url: z.string().optional(),
  display_name: z.string().optional(),
  username: z.string().optional(),
});
export type TikTokV2User = z.infer<typeof TikTokV2User>;
export const TikTokUserInfoResponse = envelope(z.looseObject({ user: TikTokV2User }));

export const TikTokCreatorInfo = z.looseObject({
  creator_avatar_url: z.string(),
  creator_username: z.string(),
  creator_nickname: z.string(),
  // Strings, not the enum: TikTok adding a level must not make every preflight fail validation.
  privacy_level_options: z.array(z.string()),
  comment_disabled: z.boolean(),
  duet_disabled: z.boolean(),
  stitch_disabled: z.boolean(),
  max_video_post_duration_sec: z.number().int(),
});
export type TikTokCreatorInfo = z.infer<typeof TikTokCreatorInfo>;
export const TikTokCreatorInfoResponse = envelope(TikTokCreatorInfo);

export const TikTokInitResponse = envelope(z.looseObject({ publish_id: z.string().min(1), upload_url: z.string().optional() }));

export const TikTokPublishStatus = z.enum(['PROCESSING_UPLOAD', 'PROCESSING_DOWNLOAD', 'SEND_TO_USER_INBOX', 'PUBLISH_COMPLETE', 'FAILED']);
export type TikTokPublishStatus = z.infer<typeof TikTokPublishStatus>;

export const TikTokStatusResponse = envelope(
  z.looseObject({
    status: TikTokPublishStatus,
    fail_reason: z.string().optional(),
    // TikTok's spelling. Ids come as numbers in some answers; kept as strings so 19 digits survive.
    publicaly_available_post_id: z.array(z.union([z.string(), z.number()]).transform(String)).optional(),
    uploaded_bytes: z.number().optional(),
    downloaded_bytes: z.number().optional(),
  }),
);

/** `post_info` of a direct post, as the caller gives it. */
export interface TikTokPostInfo {
  title?: string;
  privacyLevel: TikTokPrivacyLevel;
  disableDuet?: boolean;
  disableComment?: boolean;
  disableStitch?: boolean;
  videoCoverTimestampMs?: number;
}

/** `post_mode` of a photo post: straight to the profile, or to the creator's inbox to finish in the app. */
export const TikTokPhotoPostMode = z.enum(['DIRECT_POST', 'MEDIA_UPLOAD']);
export type TikTokPhotoPostMode = z.infer<typeof TikTokPhotoPostMode>;

/** `post_info` of a photo post, as the caller gives it. */
export interface TikTokPhotoPostInfo {
  /** At most 90 UTF-16 code units. */
  title?: string;
  /** The caption; at most 4000 UTF-16 code units. */
  description?: string;
  /** Required for `DIRECT_POST`; TikTok ignores it for `MEDIA_UPLOAD` (the creator picks it in the app). */
  privacyLevel?: TikTokPrivacyLevel;
  disableComment?: boolean;
  autoAddMusic?: boolean;
  brandContentToggle?: boolean;
  brandOrganicToggle?: boolean;
}

/** A photo carousel: TikTok pulls every image from a verified URL prefix; there is no file upload for photos. */
export interface TikTokPhotoPostInput {
  postInfo: TikTokPhotoPostInfo;
  /** 1 to 35 URLs, in carousel order. */
  photoUrls: readonly string[];
  /** Which photo is the cover, 0-based. Default 0. */
  coverIndex?: number;
  postMode: TikTokPhotoPostMode;
}

/**
 * One entry of `/v2/video/list/`. Every field but `id` and `create_time` (both asked for, and what a
 * match is made on) may be left out by TikTok, so those are optional here and defaulted by the client.
 */
export const TikTokListedVideo = z.looseObject({
  // A string on TikTok's pages; accepted as a number too so 19 digits are never rounded by a schema.
  id: z.union([z.string().min(1), z.number()]).transform(String),
  title: z.string().optional(),
  video_description: z.string().optional(),
  create_time: z.number().int(),
  share_url: z.string().optional(),
  cover_image_url: z.string().optional(),
  duration: z.number().optional(),
});
export type TikTokListedVideo = z.infer<typeof TikTokListedVideo>;

export const TikTokVideoListResponse = envelope(
  z.looseObject({
    videos: z.array(TikTokListedVideo).optional(),
    // A UTC ms instant: "videos posted before this". Absent on an empty answer in some of TikTok's examples.
    cursor: z.number().int().optional(),
    has_more: z.boolean(),
  }),
);

/** Where the video comes from: TikTok pulls it from a verified URL, or we upload it in chunks. */
export type TikTokVideoSource = { source: 'PULL_FROM_URL'; videoUrl: string } | { source: 'FILE_UPLOAD'; videoSize: number; chunkSize?: number };

/** The webhook body; `content` is itself serialised JSON. */
export const TikTokWebhookEvent = z.looseObject({
  client_key: z.string(),
  event: z.string(),
  create_time: z.number(),
  user_openid: z.string(),
  content: z.string(),
});
export type TikTokWebhookEvent = z.infer<typeof TikTokWebhookEvent>;
