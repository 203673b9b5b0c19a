import type { AccountRow, PostRow } from '@pubcrawl/db';
import { createPostBodySchema, type MediaType } from '@pubcrawl/contracts';
import { PostingCreatePostBody } from '@pubcrawl/tiktok';

export type PostingBodyResult = { ok: true; body: PostingCreatePostBody } | { ok: false; message: string };

/**
 * Translates a stored, validated request into the posting API's body. This is the only place that
 * knows the upstream's snake_case `tiktokSettings`; the API and the database speak our own names.
 * The stored request is checked again (it crossed a boundary: Postgres), and so is the result.
 */
export function toPostingBody(post: Pick<PostRow, 'request' | 'mediaType'>, account: Pick<AccountRow, 'externalId'>): PostingBodyResult {
  const parsed = createPostBodySchema.safeParse(post.request);
  if (!parsed.success) return { ok: false, message: `the stored request is invalid: ${describeIssues(parsed.error.issues)}` };
  const request = parsed.data;
  const mediaType: MediaType = post.mediaType === 'photo' ? 'photo' : 'video';
  const { settings } = request;
  const video = mediaType === 'video';
  const candidate = {
    accountId: account.externalId,
    content: request.content,
    // The photo title only exists for carousels; validation refuses it on videos.
    ...(!video && request.photoTitle !== undefined ? { photoTitle: request.photoTitle } : {}),
    mediaItems: request.mediaItems.map((item) => ({ url: item.url })),
    tiktokSettings: {
      privacy_level: settings.privacyLevel,
      allow_comment: settings.allowComment,
      ...(video && settings.allowDuet !== undefined ? { allow_duet: settings.allowDuet } : {}),
      ...(video && settings.allowStitch !== undefined ? { allow_stitch: settings.allowStitch } : {}),
      ...(video && settings.videoCoverTimestampMs !== undefined ? { video_cover_timestamp_ms: settings.videoCoverTimestampMs } : {}),
      ...(!video && settings.photoCoverIndex !== undefined ? { photo_cover_index: settings.photoCoverIndex } : {}),
      ...(!video && settings.autoAddMusic !== undefined ? { auto_add_music: settings.autoAddMusic } : {}),
      ...(settings.madeWithAi !== undefined ? { video_made_with_ai: settings.madeWithAi } : {}),
      ...(settings.draft !== undefined ? { draft: settings.draft } : {}),
      // Always explicit: the upstream would otherwise guess from extensions, and we already decided.
      media_type: mediaType,
    },
  };
  const checked = PostingCreatePostBody.safeParse(candidate);
  if (!checked.success) return { ok: false, message: `the posting body is invalid: ${describeIssues(checked.error.issues)}` };
  return { ok: true, body: checked.data };
}

function describeIssues(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): string {
  return issues.map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`).join('; ');
}
