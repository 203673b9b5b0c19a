import { z } from 'zod';
import { POST_STATUSES, POST_WAIT_REASONS } from '@pubcrawl/domain';
import { isoDateTime } from './common';
import { isPrivateHost, urlSpellingProblem } from './urls';

/**
 * Posts: what `POST /v1/posts` accepts and what the API answers. Every rule of the posting API's
 * documentation is checked here, before anything is written, so a post that would be refused
 * upstream is refused now, with the field named, instead of failing at its scheduled time.
 */

export const MEDIA_TYPES = ['video', 'photo'] as const;
export type MediaType = (typeof MEDIA_TYPES)[number];

/** The posting API's privacy levels, verbatim. */
export const PRIVACY_LEVELS = ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'FOLLOWER_OF_CREATOR', 'SELF_ONLY'] as const;
export type PrivacyLevel = (typeof PRIVACY_LEVELS)[number];

/** Limits from the posting API's documentation (TikTok's own). */
export const POST_LIMITS = {
  videoCaption: 2_200,
  photoTitle: 90,
  photoDescription: 4_000,
  minPhotos: 2,
  maxPhotos: 35,
  /** Longest media URL we store; real CDN URLs with signatures fit comfortably. */
  urlLength: 2_048,
  /** A video is at most 10 minutes long, so a cover frame past that cannot exist. */
  videoCoverTimestampMs: 600_000,
  /** Posts further ahead than this are almost always a unit mistake (ms vs s, year typo). */
  maxScheduleAheadMs: 366 * 24 * 60 * 60 * 1000,
} as const;

const VIDEO_EXTENSIONS = ['.mp4', '.mov', '.webm'] as const;
const PHOTO_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'] as const;

function parseUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

/** What a media URL's path says it is: 'video', 'photo', or null when the extension is unknown. */
export function mediaKindOf(url: string): MediaType | null {
  const parsed = parseUrl(url);
  if (parsed === null) return null;
  const path = parsed.pathname.toLowerCase();
  if (VIDEO_EXTENSIONS.some((extension) => path.endsWith(extension))) return 'video';
  if (PHOTO_EXTENSIONS.some((extension) => path.endsWith(extension))) return 'photo';
  return null;
}

/**
 * Whether `host` is on the allow-list. Entries are exact host names, or `*.example.com` for any
 * subdomain of example.com. An empty list allows every host.
 */
export function isAllowedMediaHost(host: string, allowList: readonly string[]): boolean {
  if (allowList.length === 0) return true;
  const name = host.toLowerCase();
  return allowList.some((entry) => {
    const allowed = entry.toLowerCase();
    if (allowed.startsWith('*.')) return name.endsWith(allowed.slice(1)) && name.length > allowed.length - 1;
    return name === allowed;
  });
}

/**
 * An https URL without credentials in it: media the provider fetches, or a post's public page. The
 * output is the normalised `href`, so what was checked is exactly what is stored and forwarded.
 */
export const httpsUrlSchema = z
  .string()
  .max(POST_LIMITS.urlLength)
  .superRefine((value, context) => {
    const spelling = urlSpellingProblem(value);
    if (spelling !== null) {
      context.addIssue({ code: 'custom', message: spelling });
      return;
    }
    const url = parseUrl(value);
    // The provider fetches the media itself; plain http would let anyone on the path swap it.
    if (url === null || url.protocol !== 'https:' || url.hostname === '' || url.username !== '' || url.password !== '') {
      context.addIssue({ code: 'custom', message: 'must be an https:// URL (no credentials in it)' });
    }
  })
  .transform((value) => new URL(value).href)
  .describe('An https:// URL; stored in its normalised form');

export const postMediaItemSchema = z.object({ url: httpsUrlSchema }).strict();

export const postSettingsSchema = z
  .object({
    privacyLevel: z.enum(PRIVACY_LEVELS),
    allowComment: z.boolean(),
    /** Required for videos; meaningless for photos. */
    allowDuet: z.boolean().optional(),
    /** Required for videos; meaningless for photos. */
    allowStitch: z.boolean().optional(),
    /** Videos only: which frame becomes the thumbnail. */
    videoCoverTimestampMs: z.number().int().min(0).max(POST_LIMITS.videoCoverTimestampMs).optional(),
    /** Photos only: 0 is the first photo. */
    photoCoverIndex: z
      .number()
      .int()
      .min(0)
      .max(POST_LIMITS.maxPhotos - 1)
      .optional(),
    /** Photos only; the provider defaults it to true for photos. */
    autoAddMusic: z.boolean().optional(),
    /** Discloses AI-generated content. */
    madeWithAi: z.boolean().optional(),
    /** Sends the post to the creator's TikTok inbox instead of publishing it. */
    draft: z.boolean().optional(),
    /**
     * tiktok accounts, videos only: TikTok pulls the video from its URL (`pull`, which needs a
     * verified domain), or pubcrawl streams it up in chunks (`file`). Default TIKTOK_UPLOAD_MODE.
     */
    uploadMode: z.enum(['pull', 'file']).optional(),
    /**
     * Videos only: the length in seconds, when the client knows it. Checked against the creator's
     * max_video_post_duration_sec at create and again before sending; pubcrawl does not probe media.
     */
    videoDurationSec: z.number().positive().max(86_400).optional(),
  })
  .strict();
export type PostSettings = z.infer<typeof postSettingsSchema>;

/** The body's shape alone; the cross-field rules are added by `buildCreatePostBodySchema`. */
export const postRequestSchema = z
  .object({
    accountId: z.uuid().describe('A pubcrawl account id (provider "posting")'),
    content: z
      .string()
      .max(POST_LIMITS.photoDescription)
      .describe(`Video caption (at most ${POST_LIMITS.videoCaption} characters) or photo description (at most ${POST_LIMITS.photoDescription})`),
    mediaItems: z
      .array(postMediaItemSchema)
      .min(1)
      .max(POST_LIMITS.maxPhotos)
      .describe(`One video, or ${POST_LIMITS.minPhotos}-${POST_LIMITS.maxPhotos} photos; never both`),
    mediaType: z.enum(MEDIA_TYPES).optional().describe('Needed only when the URLs do not end in a known extension'),
    photoTitle: z.string().max(POST_LIMITS.photoTitle).optional().describe(`Photo posts only, at most ${POST_LIMITS.photoTitle} characters`),
    scheduledAt: isoDateTime.optional().describe('ISO 8601 with an offset; omitted or in the past means as soon as possible'),
    settings: postSettingsSchema,
  })
  .strict();
export type CreatePostBody = z.infer<typeof postRequestSchema>;

/**
 * The accepted request as answers show it. Its URLs are already normalised, and a response schema
 * must not transform (responses are encoded, and a one-way transform cannot be).
 */
const storedPostRequestSchema = postRequestSchema.extend({
  mediaItems: z.array(z.object({ url: z.string() }).strict()),
});

export interface CreatePostRules {
  /** MEDIA_HOSTS: an empty list allows every host. */
  mediaHosts?: readonly string[];
  /** MEDIA_ALLOW_PRIVATE_HOSTS: loopback, private, link-local and metadata hosts are refused unless true. */
  allowPrivateHosts?: boolean;
  /** Clock for the scheduledAt range check; tests pin it. */
  now?: () => number;
}

type RefinementContext = Parameters<Parameters<typeof postRequestSchema.superRefine>[0]>[1];

/**
 * The media type a valid body describes: the explicit `mediaType`, or else what every URL's
 * extension agrees on. Null when it cannot be told (validation reports that on `mediaType`).
 */
export function resolveMediaType(body: Pick<CreatePostBody, 'mediaItems' | 'mediaType'>): MediaType | null {
  if (body.mediaType !== undefined) return body.mediaType;
  const kinds = new Set(body.mediaItems.map((item) => mediaKindOf(item.url)));
  if (kinds.size !== 1) return null;
  const [only] = kinds;
  return only ?? null;
}

function checkMedia(body: CreatePostBody, rules: CreatePostRules, context: RefinementContext): MediaType | null {
  const kinds = body.mediaItems.map((item) => mediaKindOf(item.url));
  const hosts = rules.mediaHosts ?? [];
  body.mediaItems.forEach((item, index) => {
    const url = parseUrl(item.url);
    if (url === null) return;
    if (!isAllowedMediaHost(url.hostname, hosts)) {
      context.addIssue({ code: 'custom', path: ['mediaItems', index, 'url'], message: `host ${url.hostname} is not in MEDIA_HOSTS` });
    } else if (rules.allowPrivateHosts !== true && isPrivateHost(url.hostname)) {
      context.addIssue({
        code: 'custom',
        path: ['mediaItems', index, 'url'],
        message: `host ${url.hostname} is a loopback, private, link-local or metadata address; set MEDIA_ALLOW_PRIVATE_HOSTS=true to allow it`,
      });
    }
  });

  if (kinds.includes('video') && kinds.includes('photo')) {
    context.addIssue({ code: 'custom', path: ['mediaItems'], message: 'a post is one video or photos only; mixing them is not supported' });
    return null;
  }
  const mediaType = resolveMediaType(body);
  if (mediaType === null) {
    context.addIssue({
      code: 'custom',
      path: ['mediaType'],
      message: `cannot tell from the URLs whether this is a video or photos (known extensions: ${[...VIDEO_EXTENSIONS, ...PHOTO_EXTENSIONS].join(' ')}); set mediaType`,
    });
    return null;
  }
  // An explicit media type must not contradict an extension we do recognise.
  kinds.forEach((kind, index) => {
    if (kind !== null && kind !== mediaType) {
      context.addIssue({ code: 'custom', path: ['mediaItems', index, 'url'], message: `is a ${kind}, but the post is a ${mediaType} post` });
    }
  });
  return mediaType;
}

function checkVideo(body: CreatePostBody, context: RefinementContext): void {
  const { settings } = body;
  if (body.mediaItems.length !== 1) context.addIssue({ code: 'custom', path: ['mediaItems'], message: 'a video post takes exactly one media item' });
  if (body.content.length > POST_LIMITS.videoCaption) {
    context.addIssue({ code: 'custom', path: ['content'], message: `video captions are limited to ${POST_LIMITS.videoCaption} characters` });
  }
  if (settings.allowDuet === undefined) context.addIssue({ code: 'custom', path: ['settings', 'allowDuet'], message: 'is required for videos' });
  if (settings.allowStitch === undefined) context.addIssue({ code: 'custom', path: ['settings', 'allowStitch'], message: 'is required for videos' });
  // Silently dropping a photo-only field would surprise the author; say so instead.
  if (body.photoTitle !== undefined) context.addIssue({ code: 'custom', path: ['photoTitle'], message: 'applies to photo posts only' });
  if (settings.photoCoverIndex !== undefined) context.addIssue({ code: 'custom', path: ['settings', 'photoCoverIndex'], message: 'applies to photo posts only' });
  if (settings.autoAddMusic !== undefined) context.addIssue({ code: 'custom', path: ['settings', 'autoAddMusic'], message: 'applies to photo posts only' });
}

function checkPhotos(body: CreatePostBody, context: RefinementContext): void {
  const count = body.mediaItems.length;
  if (count < POST_LIMITS.minPhotos) {
    context.addIssue({ code: 'custom', path: ['mediaItems'], message: `a photo post takes ${POST_LIMITS.minPhotos}-${POST_LIMITS.maxPhotos} photos` });
  }
  const cover = body.settings.photoCoverIndex;
  if (cover !== undefined && cover >= count) {
    context.addIssue({ code: 'custom', path: ['settings', 'photoCoverIndex'], message: `must be below the number of photos (${count})` });
  }
  if (body.settings.videoCoverTimestampMs !== undefined) {
    context.addIssue({ code: 'custom', path: ['settings', 'videoCoverTimestampMs'], message: 'applies to video posts only' });
  }
}

function checkSchedule(body: CreatePostBody, rules: CreatePostRules, context: RefinementContext): void {
  if (body.scheduledAt === undefined) return;
  const at = Date.parse(body.scheduledAt);
  const now = (rules.now ?? Date.now)();
  if (Number.isNaN(at)) context.addIssue({ code: 'custom', path: ['scheduledAt'], message: 'is not a valid time' });
  else if (at - now > POST_LIMITS.maxScheduleAheadMs) context.addIssue({ code: 'custom', path: ['scheduledAt'], message: 'is more than a year ahead' });
}

function checkPostRequest(body: CreatePostBody, rules: CreatePostRules, context: RefinementContext): void {
  const mediaType = checkMedia(body, rules, context);
  if (mediaType === 'video') checkVideo(body, context);
  if (mediaType === 'photo') checkPhotos(body, context);
  checkSchedule(body, rules, context);
}

/**
 * A post request with every cross-field rule. Cross-field rules report on the field to fix
 * (`mediaItems.1.url`, `settings.photoCoverIndex`), every problem at once. This is what a stored
 * request is held to: by the worker, and by an edit, which validates the merged result.
 */
export function buildCreatePostBodySchema(rules: CreatePostRules = {}) {
  return postRequestSchema.superRefine((body, context) => checkPostRequest(body, rules, context));
}

const allowDuplicateSchema = z
  .boolean()
  .optional()
  .describe(
    'Skip the duplicate guard (same account and same content, media and photo title within DUPLICATE_WINDOW_HOURS is a 409 duplicate_content). Not stored with the request, and not part of the Idempotency-Key comparison',
  );

/**
 * What `POST /v1/posts` (and each item of a batch) accepts: a post request plus `allowDuplicate`, a
 * directive to the duplicate guard that is not part of the post, so it is not stored.
 */
export function buildCreatePostInputSchema(rules: CreatePostRules = {}) {
  return postRequestSchema.extend({ allowDuplicate: allowDuplicateSchema }).superRefine((body, context) => checkPostRequest(body, rules, context));
}
export type CreatePostInput = CreatePostBody & { allowDuplicate?: boolean | undefined };

/** The post request a create input stores: everything but the guard's directive. */
export function storedRequestOf(input: CreatePostInput): CreatePostBody {
  const { allowDuplicate: _allowDuplicate, ...request } = input;
  return request;
}

export const EDITABLE_POST_FIELDS = ['content', 'mediaItems', 'mediaType', 'photoTitle', 'scheduledAt', 'settings'] as const;
export type EditablePostField = (typeof EDITABLE_POST_FIELDS)[number];

/**
 * `PATCH /v1/posts/:id`: the fields to replace, at least one. The merged request is then validated
 * exactly like a create, so a field here may be fine alone and still refused with its neighbours
 * (a photo title on what is now a video).
 */
export const editPostBodySchema = z
  .object({
    content: postRequestSchema.shape.content.optional(),
    mediaItems: postRequestSchema.shape.mediaItems.optional(),
    mediaType: z.enum(MEDIA_TYPES).nullable().optional().describe('Only needed when the new URLs do not end in a known extension; null drops an explicit type'),
    photoTitle: z.string().max(POST_LIMITS.photoTitle).nullable().optional().describe('null removes the title (needed when a photo post becomes a video)'),
    scheduledAt: isoDateTime.optional().describe('The new time, ISO 8601 with an offset; a time in the past means as soon as possible'),
    settings: postSettingsSchema.optional().describe('Replaces the settings as a whole'),
    allowDuplicate: allowDuplicateSchema,
    // Named so that a caller trying to move a post to another account hears why, on that field.
    accountId: z.never({ error: 'cannot be changed: cancel the post and create it on the other account' }).optional(),
  })
  .strict()
  .superRefine((body, context) => {
    if (EDITABLE_POST_FIELDS.every((field) => body[field] === undefined)) {
      context.addIssue({ code: 'custom', path: ['body'], message: `give at least one of ${EDITABLE_POST_FIELDS.join(', ')}` });
    }
  });
export type EditPostBody = z.infer<typeof editPostBodySchema>;


/**
 * The shape and media rules without the operator's host policy (MEDIA_HOSTS, private hosts): what
 * the worker re-checks a stored request against, which the API already held to that policy.
 */
export const createPostBodySchema = buildCreatePostBodySchema({ allowPrivateHosts: true });

export const IDEMPOTENCY_KEY_MAX = 255;

export const createPostHeadersSchema = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(IDEMPOTENCY_KEY_MAX)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional()
    .describe('Repeat a request safely: the same key and body return the same post (200); a different body is a 409'),
});

const publishIdSchema = z.string().trim().min(1).max(500);

/**
 * A publish made elsewhere (another tool, TikTok's own UI via the posting API) that pubcrawl should
 * follow to its outcome: it is stored as a post already `processing`, and only polled, never sent.
 */
export const trackPublishBodySchema = z
  .object({
    accountId: z.uuid().describe('The pubcrawl account (provider "posting") the publish belongs to'),
    publishId: publishIdSchema.describe("The posting API's publish_id"),
  })
  .strict();
export type TrackPublishBody = z.infer<typeof trackPublishBodySchema>;

/**
 * An operator's verdict on an `unconfirmed` post, after looking at the account on TikTok: the one
 * way such a post reaches a definite outcome without being sent again.
 */
export const resolvePostBodySchema = z.discriminatedUnion('outcome', [
  z
    .object({
      outcome: z.literal('published').describe('The post is on TikTok: the first call did reach the provider'),
      publishId: publishIdSchema
        .optional()
        .describe("The posting API's publish_id, when known: the post then goes back to processing and is polled to its real outcome"),
      publicUrl: httpsUrlSchema.optional().describe('Where the post can be seen, when known'),
    })
    .strict(),
  z
    .object({
      outcome: z.literal('not_published').describe('The post is not on TikTok: it ends failed, and can still be retried deliberately'),
      reason: z.string().trim().min(1).max(1_000).optional().describe('What the operator found; kept as the error message'),
    })
    .strict(),
]);
export type ResolvePostBody = z.infer<typeof resolvePostBodySchema>;

/** What a tracked post stores in `posts.request`: there is no request of ours to keep. */
export const trackedRequestSchema = z.object({ tracked: z.object({ publishId: z.string() }) });

export const postErrorSchema = z.object({ code: z.string(), message: z.string() });

/** Why a due post is not being sent now; set by the worker, cleared when it is claimed or edited. */
export const postWaitingSchema = z.object({
  reason: z.enum(POST_WAIT_REASONS),
  until: z.string().nullable().describe('When the wait should end (ISO 8601); null when it lasts until an operator acts'),
  message: z.string(),
});
export type PostWaiting = z.infer<typeof postWaitingSchema>;

export const postSchema = z.object({
  id: z.uuid(),
  accountId: z.uuid(),
  status: z.enum(POST_STATUSES),
  mediaType: z.enum(MEDIA_TYPES).nullable().describe('null for a tracked publish, whose media pubcrawl never saw'),
  scheduledAt: z.string(),
  publishId: z.string().nullable(),
  publicUrl: z.string().nullable(),
  /** Provider calls made for the current generation (429s and refusals are not counted). */
  attempts: z.number().int(),
  /** Bumped by each operator retry or resume. */
  generation: z.number().int(),
  error: postErrorSchema.nullable().describe('Why the post failed, is unconfirmed, or is being retried; null otherwise'),
  waiting: postWaitingSchema.nullable().describe('Why a due post is not being sent right now (quota, daily cap, paused account...); null while nothing holds it'),
  idempotencyKey: z.string().nullable(),
  request: storedPostRequestSchema.nullable().describe('The accepted request; null for a publish made elsewhere and only tracked here'),
  tracked: z.boolean().describe('True for a publish id made elsewhere that pubcrawl only polls (POST /v1/posts/track)'),
  submittedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type PostResponse = z.infer<typeof postSchema>;

const warningsSchema = z
  .array(z.string())
  .describe("Things that will not stop the post but change its outcome: the account's limits cannot meet the requested time (and when it should go out), creator settings that could not be checked");

/** The answer to a create or an edit: the post, and what the caller should know about it. */
export const postWithWarningsSchema = postSchema.extend({ warnings: warningsSchema.optional() });
export type PostWithWarningsResponse = z.infer<typeof postWithWarningsSchema>;

export const POST_BATCH_MAX = 500;

/**
 * `POST /v1/posts/batch`. Items are checked one by one, each like a `POST /v1/posts` body, so one
 * bad item is a per-item error rather than a 400 for all; only the top level is held to this schema.
 */
export const postBatchBodySchema = z
  .object({
    posts: z
      .array(z.unknown().describe('A POST /v1/posts body (including allowDuplicate)'))
      .min(1)
      .max(POST_BATCH_MAX)
      .describe(`1-${POST_BATCH_MAX} POST /v1/posts bodies; each is validated on its own and answered by its index`),
  })
  .strict();
export type PostBatchBody = z.infer<typeof postBatchBodySchema>;

export const postBatchResultSchema = z.union([
  z.object({ index: z.number().int(), status: z.literal(202), post: postWithWarningsSchema }),
  z.object({
    index: z.number().int(),
    status: z.number().int().describe('400 invalid_input, 409 duplicate_content'),
    error: z.object({
      code: z.string(),
      message: z.string(),
      fields: z.record(z.string(), z.string()).optional().describe('Addressed from the batch body: posts.3.mediaItems.0.url'),
      duplicateOf: z.string().optional().describe('For duplicate_content: the earlier post id, or posts.<i> for an earlier item of this batch'),
    }),
  }),
]);
export type PostBatchResult = z.infer<typeof postBatchResultSchema>;

export const postBatchResponseSchema = z.object({
  results: z.array(postBatchResultSchema).describe('One per item, in the order sent'),
  created: z.number().int().describe('How many posts this batch created'),
  replayed: z.boolean().describe('True when an Idempotency-Key replayed the stored answer of an identical earlier batch (nothing was created now)'),
});
export type PostBatchResponse = z.infer<typeof postBatchResponseSchema>;

export const postEventSchema = z.object({
  id: z.number().int(),
  from: z.enum(POST_STATUSES).nullable(),
  to: z.enum(POST_STATUSES),
  code: z.string().nullable(),
  message: z.string().nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
  at: z.string(),
});
export type PostEventResponse = z.infer<typeof postEventSchema>;

export const postDetailSchema = postSchema.extend({ events: z.array(postEventSchema).describe('Every transition, oldest first') });
export type PostDetailResponse = z.infer<typeof postDetailSchema>;

export const listPostsQuerySchema = z
  .object({
    status: z.enum(POST_STATUSES).optional(),
    accountId: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().min(1).max(500).optional(),
  })
  .strict();
export type ListPostsQuery = z.infer<typeof listPostsQuerySchema>;
