import { z } from 'zod';
import type { MediaType } from './publish-lifecycle';

export const PRIVACY_LEVELS = ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'FOLLOWER_OF_CREATOR', 'SELF_ONLY'] as const;
export type PrivacyLevel = (typeof PRIVACY_LEVELS)[number];

/** Limits from the posting API's docs (TikTok's own, passed through). */
export const LIMITS = {
  videoCaption: 2_200,
  photoTitle: 90,
  photoDescription: 4_000,
  minPhotos: 2,
  maxPhotos: 35,
} as const;

const boolean = (field: string) => z.boolean({ error: `${field} must be a boolean` });

const tiktokSettingsSchema = z.object(
  {
    privacy_level: z.enum(PRIVACY_LEVELS, { error: `privacy_level is required and must be one of ${PRIVACY_LEVELS.join(', ')}` }),
    allow_comment: z.boolean({ error: 'allow_comment is required and must be a boolean' }),
    allow_duet: boolean('allow_duet').optional(),
    allow_stitch: boolean('allow_stitch').optional(),
    video_cover_timestamp_ms: z.number({ error: 'video_cover_timestamp_ms must be a number' }).int().nonnegative().optional(),
    photo_cover_index: z
      .number({ error: 'photo_cover_index must be a number' })
      .int('photo_cover_index must be an integer')
      .nonnegative('photo_cover_index must not be negative')
      .optional(),
    auto_add_music: boolean('auto_add_music').optional(),
    video_made_with_ai: boolean('video_made_with_ai').optional(),
    draft: boolean('draft').optional(),
    media_type: z.enum(['video', 'photo'], { error: "media_type must be 'video' or 'photo'" }).optional(),
  },
  { error: 'tiktokSettings is required' },
);

export const postBodySchema = z.object(
  {
    accountId: z.string({ error: 'accountId is required' }).min(1, 'accountId is required'),
    content: z.string({ error: 'content must be a string' }).optional(),
    photoTitle: z.string({ error: 'photoTitle must be a string' }).optional(),
    mediaItems: z
      .array(z.object({ url: z.string({ error: 'url is required' }) }, { error: 'each media item must be an object with a url' }), {
        error: 'mediaItems is required',
      })
      .min(1, 'mediaItems must contain at least one item'),
    tiktokSettings: tiktokSettingsSchema,
  },
  { error: 'the request body must be a JSON object' },
);
export type PostBody = z.infer<typeof postBodySchema>;

export interface ValidPost {
  accountId: string;
  content: string | undefined;
  photoTitle: string | undefined;
  mediaUrls: string[];
  mediaType: MediaType;
  draft: boolean;
  privacyLevel: PrivacyLevel;
}

export type PostValidation = { ok: true; post: ValidPost } | { ok: false; field: string; error: string };

const VIDEO_EXTENSIONS = ['.mp4', '.mov', '.webm'];
const PHOTO_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'];

function extensionKind(url: URL): MediaType | null {
  const path = url.pathname.toLowerCase();
  if (VIDEO_EXTENSIONS.some((extension) => path.endsWith(extension))) return 'video';
  if (PHOTO_EXTENSIONS.some((extension) => path.endsWith(extension))) return 'photo';
  return null;
}

function parseHttpUrl(text: string): URL | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

/** Only needs `accountId`, so auth-like checks (expired account, per-account limits) can run first. */
export function readAccountId(body: unknown): string | null {
  if (typeof body !== 'object' || body === null || !('accountId' in body)) return null;
  const { accountId } = body;
  return typeof accountId === 'string' && accountId !== '' ? accountId : null;
}

const fail = (field: string, error: string): PostValidation => ({ ok: false, field, error });

/**
 * The posting rules in the order a human would fix them: shape, URLs, media type, counts, text
 * lengths, then settings that depend on the media type. Returns the first problem only, naming its
 * dotted field, which is what the upstream does.
 */
export function validatePost(body: unknown): PostValidation {
  const parsed = postBodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(issue?.path.map(String).join('.') || 'body', issue?.message ?? 'Invalid request body');
  }
  const { accountId, content, photoTitle, mediaItems, tiktokSettings: settings } = parsed.data;

  const kinds: Array<MediaType | null> = [];
  for (const [index, item] of mediaItems.entries()) {
    const url = parseHttpUrl(item.url);
    if (url === null) return fail(`mediaItems.${index}.url`, 'media URLs must be absolute http(s) URLs');
    kinds.push(extensionKind(url));
  }

  const hasVideo = kinds.includes('video');
  const hasPhoto = kinds.includes('photo');
  if (hasVideo && hasPhoto) return fail('mediaItems', 'a post must be a single video or photos only; mixing is not supported');
  const allPhotos = kinds.every((kind) => kind === 'photo');
  const mediaType: MediaType = settings.media_type ?? (allPhotos ? 'photo' : 'video');
  if (mediaType === 'photo' && hasVideo) return fail('mediaItems', "media_type is 'photo' but a media item is a video");
  if (mediaType === 'video' && hasPhoto) return fail('mediaItems', "media_type is 'video' but a media item is a photo");

  if (mediaType === 'video') {
    if (mediaItems.length !== 1) return fail('mediaItems', 'a video post takes exactly one media item');
    if (content !== undefined && content.length > LIMITS.videoCaption) {
      return fail('content', `video captions are limited to ${LIMITS.videoCaption} characters`);
    }
    if (settings.allow_duet === undefined) return fail('tiktokSettings.allow_duet', 'allow_duet is required for videos');
    if (settings.allow_stitch === undefined) return fail('tiktokSettings.allow_stitch', 'allow_stitch is required for videos');
  } else {
    if (mediaItems.length < LIMITS.minPhotos || mediaItems.length > LIMITS.maxPhotos) {
      return fail('mediaItems', `a photo post takes ${LIMITS.minPhotos}-${LIMITS.maxPhotos} photos`);
    }
    if (photoTitle !== undefined && photoTitle.length > LIMITS.photoTitle) {
      return fail('photoTitle', `photo titles are limited to ${LIMITS.photoTitle} characters`);
    }
    if (content !== undefined && content.length > LIMITS.photoDescription) {
      return fail('content', `photo descriptions are limited to ${LIMITS.photoDescription} characters`);
    }
    if (settings.photo_cover_index !== undefined && settings.photo_cover_index >= mediaItems.length) {
      return fail('tiktokSettings.photo_cover_index', `photo_cover_index must be below the number of photos (${mediaItems.length})`);
    }
  }

  return {
    ok: true,
    post: {
      accountId,
      content,
      photoTitle,
      mediaUrls: mediaItems.map((item) => item.url),
      mediaType,
      draft: settings.draft === true,
      privacyLevel: settings.privacy_level,
    },
  };
}
