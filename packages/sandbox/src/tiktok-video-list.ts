import { z } from 'zod';
import type { TikTokListedVideo } from './tiktok-publishes';

/** `max_count`'s default and ceiling on TikTok's List Videos page. */
export const VIDEO_LIST_DEFAULT_COUNT = 10;
export const VIDEO_LIST_MAX_COUNT = 20;

/** What a sandbox video reports as `duration`: the twin never sees the media, so every video is this long. */
export const SANDBOX_VIDEO_DURATION_S = 15;

/** The Video Object fields the twin can answer (TikTok's list, minus `embed_html`). */
export const VIDEO_FIELDS = [
  'id',
  'create_time',
  'cover_image_url',
  'share_url',
  'video_description',
  'duration',
  'height',
  'width',
  'title',
  'embed_link',
  'like_count',
  'comment_count',
  'share_count',
  'view_count',
] as const;
export type VideoField = (typeof VIDEO_FIELDS)[number];

export const videoListQuery = z.object({
  fields: z.string({ error: 'fields is required' }).min(1, 'fields is required'),
});

export const videoListBody = z.object(
  {
    // A UTC ms timestamp: "videos posted before". 0 is what TikTok's examples send for the first page.
    cursor: z.number({ error: 'cursor must be a number' }).int('cursor must be an integer').nonnegative('cursor must not be negative').optional(),
    max_count: z
      .number({ error: 'max_count must be a number' })
      .int('max_count must be an integer')
      .min(1, 'max_count must be at least 1')
      .max(VIDEO_LIST_MAX_COUNT, `max_count must be at most ${VIDEO_LIST_MAX_COUNT}`)
      .optional(),
  },
  { error: 'the body must be an object' },
);

export interface VideoListPage {
  videos: TikTokListedVideo[];
  cursor: number;
  hasMore: boolean;
}

/**
 * One page, newest first, of the videos listed strictly before `cursor`. The answer's cursor is the
 * listing instant of the page's last video, so passing it back continues exactly where this page
 * stopped; an empty page echoes the cursor it was given.
 */
export function videoListPage(listed: readonly TikTokListedVideo[], request: { cursor: number | undefined; maxCount: number }): VideoListPage {
  const before = request.cursor === undefined || request.cursor === 0 ? null : request.cursor;
  const eligible = before === null ? listed : listed.filter((video) => video.listedAtMs < before);
  const videos = eligible.slice(0, request.maxCount);
  return { videos, cursor: videos.at(-1)?.listedAtMs ?? request.cursor ?? 0, hasMore: eligible.length > videos.length };
}

/** `fields=a,b,c` → the known fields asked for, in TikTok's order; unknown names are ignored. */
export function requestedVideoFields(fields: string): VideoField[] {
  const wanted = new Set(fields.split(',').map((field) => field.trim()));
  return VIDEO_FIELDS.filter((field) => wanted.has(field));
}

/**
 * TikTok's Video Object for a sandbox publish. A video's caption is its init `title`, so it is both
 * `title` and `video_description`; a photo post has the two separately. Photo share links use
 * tiktok.com's `/photo/` path, as the site does for carousels.
 */
export function videoObject(video: TikTokListedVideo, username: string, fields: readonly VideoField[]): Partial<Record<VideoField, string | number>> {
  const { publish } = video;
  const photo = publish.mediaType === 'PHOTO';
  const full: Record<VideoField, string | number> = {
    id: publish.postId,
    create_time: Math.floor(video.listedAtMs / 1000),
    cover_image_url: `https://p16-sign.tiktokcdn-us.com/sandbox/cover/${publish.postId}.jpeg`,
    share_url: `https://www.tiktok.com/@${encodeURIComponent(username)}/${photo ? 'photo' : 'video'}/${publish.postId}`,
    video_description: photo ? publish.description : publish.title,
    duration: photo ? 0 : SANDBOX_VIDEO_DURATION_S,
    height: 1920,
    width: 1080,
    title: publish.title,
    embed_link: `https://www.tiktok.com/player/v1/${publish.postId}`,
    like_count: 0,
    comment_count: 0,
    share_count: 0,
    view_count: 0,
  };
  return Object.fromEntries(fields.map((field) => [field, full[field]]));
}
