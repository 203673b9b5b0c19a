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
