import { createPostBodySchema } from '@pubcrawl/contracts';
import { recordPostNote, type AccountRow, type PostRow } from '@pubcrawl/db';
import { Permanent, type CreatePostResult, type TikTokInitResult, type TikTokPhotoPostInfo, type TikTokPostInfo } from '@pubcrawl/tiktok';
import type { WorkerContext } from '../context';
import { openMedia, type OpenedMedia } from './media-source';
import { endPost } from './outcomes';
import type { PostSender } from './post-sender';
import { acquireTikTokQuota } from './tiktok-quota';

/**
 * What one tiktok post asks TikTok to do, decided from the stored request before anything is
 * claimed. Drafts go to the creator's inbox: a video through the inbox init, photos through the
 * content init with `post_mode: MEDIA_UPLOAD`.
 */
export type TikTokSend =
  | { kind: 'video'; inbox: boolean; upload: 'pull' | 'file'; videoUrl: string; postInfo: TikTokPostInfo }
  | { kind: 'photo'; postMode: 'DIRECT_POST' | 'MEDIA_UPLOAD'; photoUrls: string[]; coverIndex: number; postInfo: TikTokPhotoPostInfo };

export type TikTokSendResult = { ok: true; send: TikTokSend } | { ok: false; message: string };

/** The only place that maps our post settings onto TikTok's `post_info`. */
export function toTikTokSend(post: Pick<PostRow, 'request' | 'mediaType'>, defaultUpload: 'pull' | 'file'): TikTokSendResult {
  const parsed = createPostBodySchema.safeParse(post.request);
  if (!parsed.success) return { ok: false, message: `the stored request is invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ')}` };
  const request = parsed.data;
  const { settings } = request;
  const draft = settings.draft === true;
  if (post.mediaType === 'photo') {
    if (settings.uploadMode === 'file') return { ok: false, message: 'settings.uploadMode: TikTok takes photos only by URL (PULL_FROM_URL)' };
    return {
      ok: true,
      send: {
        kind: 'photo',
        postMode: draft ? 'MEDIA_UPLOAD' : 'DIRECT_POST',
        photoUrls: request.mediaItems.map((item) => item.url),
        coverIndex: settings.photoCoverIndex ?? 0,
        postInfo: {
          ...(request.photoTitle === undefined ? {} : { title: request.photoTitle }),
          description: request.content,
          privacyLevel: settings.privacyLevel,
          disableComment: !settings.allowComment,
          ...(settings.autoAddMusic === undefined ? {} : { autoAddMusic: settings.autoAddMusic }),
        },
      },
    };
  }
  const [video] = request.mediaItems;
  if (video === undefined || request.mediaItems.length !== 1) return { ok: false, message: 'mediaItems: a video post has exactly one video' };
  return {
    ok: true,
    send: {
      kind: 'video',
      inbox: draft,
      upload: settings.uploadMode ?? defaultUpload,
      videoUrl: video.url,
      postInfo: {
        title: request.content,
        privacyLevel: settings.privacyLevel,
        disableComment: !settings.allowComment,
        ...(settings.allowDuet === undefined ? {} : { disableDuet: !settings.allowDuet }),
        ...(settings.allowStitch === undefined ? {} : { disableStitch: !settings.allowStitch }),
        ...(settings.videoCoverTimestampMs === undefined ? {} : { videoCoverTimestampMs: settings.videoCoverTimestampMs }),
      },
    },
  };
}

/**
 * One send, prepared before the claim: the token is fresh and its quota slot taken, the media of a
 * file upload is open. `init` is the one call inside the publishing window.
 */
export class TikTokSender implements PostSender {
  readonly #context: WorkerContext;
  readonly #account: AccountRow;
  readonly #send: TikTokSend;
  #token: string | null = null;
  #media: OpenedMedia | null = null;
  #initResult: TikTokInitResult | null = null;

  constructor(context: WorkerContext, account: AccountRow, send: TikTokSend) {
    this.#context = context;
    this.#account = account;
    this.#send = send;
  }

  get isDraft(): boolean {
    return this.#send.kind === 'video' ? this.#send.inbox : this.#send.postMode === 'MEDIA_UPLOAD';
  }

  /** Refreshes the token if it is close to expiry, then takes a publish slot for it. */
  async acquireQuota(): Promise<void> {
    const token = await this.#context.tiktokTokens.accessToken(this.#account.id);
    await acquireTikTokQuota(this.#context, 'publish', token);
    this.#token = token;
  }

  /** Opens a FILE_UPLOAD's media, so a missing or oversized file fails before anything is claimed. */
  async prepare(): Promise<void> {
    if (this.#send.kind !== 'video' || this.#send.upload !== 'file') return;
    const { env } = this.#context;
    this.#media = await openMedia(this.#send.videoUrl, { maxBytes: env.TIKTOK_UPLOAD_MAX_BYTES, timeoutMs: env.UPSTREAM_TIMEOUT_MS, allowPrivateHosts: env.MEDIA_ALLOW_PRIVATE_HOSTS });
  }

  /**
   * The init, with the token `acquireQuota` took a slot for. An `access_token_invalid` answer
   * refused it, so it gets one refresh and one more try (with the new token's own quota slot);
   * anything else is the caller's to classify. Each call is bounded as a whole, so the publishing
   * window is at most two inits and one refresh long (`TIKTOK_SEND_CALLS`, tiktok-quota.ts).
   */
  async send(): Promise<CreatePostResult> {
    const first = this.#token ?? undefined;
    const result = await this.#context.tiktokTokens.withAccessToken(
      this.#account.id,
      async (token) => {
        if (token !== first) await acquireTikTokQuota(this.#context, 'publish', token);
        return this.#initWith(token);
      },
      first === undefined ? {} : { initialToken: first },
    );
    this.#initResult = result;
    return { publishId: result.publishId, mediaType: this.#send.kind === 'photo' ? 'photo' : 'video', raw: result.raw };
  }

  /** After the publish id is committed: a FILE_UPLOAD's bytes, and what a failed upload means for the post. */
  async afterSubmitted(submitted: PostRow): Promise<void> {
    if (this.#initResult === null || this.#media === null) return;
    const upload = await this.#upload(this.#initResult);
    if (upload.ok) return;
    this.#context.logger.warn({ postId: submitted.id, refused: upload.refused, reason: upload.message }, 'the file upload to TikTok failed');
    if (upload.refused) {
      // TikTok refused a chunk, so it never has the whole file and cannot publish it; the upload
      // URL is single-use, so an operator's retry starts a new init.
      await endPost(this.#context, submitted, ['processing'], 'failed', { code: 'upload_failed', message: `TikTok refused the file upload: ${upload.message}` });
      return;
    }
    // No answer: the last chunk may have arrived. The post stays processing and its status poll
    // (already queued) learns from TikTok whether the file was complete.
    await recordPostNote(this.#context.db.db, submitted, { code: 'upload_interrupted', message: `the file upload to TikTok was interrupted (${upload.message}); TikTok's status decides the outcome` });
  }

  /**
   * The file, streamed in the chunks planned at init. A refused chunk means TikTok never has the
   * whole file; any other failure (no answer) may have delivered the last chunk.
   */
  async #upload(result: TikTokInitResult): Promise<{ ok: true } | { ok: false; refused: boolean; message: string }> {
    const media = this.#media;
    if (media === null) return { ok: true };
    try {
      if (result.uploadUrl === undefined || result.chunkPlan === undefined) return { ok: true };
      await this.#context.tiktok.uploadChunks(result.uploadUrl, result.chunkPlan, media.body, { contentType: media.contentType });
      return { ok: true };
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      return { ok: false, refused: error instanceof Permanent, message: error.message };
    } finally {
      this.#media = null;
      media.discard();
    }
  }

  /** The media will not be sent (the init was refused, or the post moved on). */
  discard(): void {
    this.#media?.discard();
    this.#media = null;
  }

  #initWith(token: string): Promise<TikTokInitResult> {
    const { tiktok, env } = this.#context;
    const send = this.#send;
    const options = { signal: AbortSignal.timeout(env.UPSTREAM_TIMEOUT_MS) };
    if (send.kind === 'photo') {
      return tiktok.initPhotoPost(token, { postInfo: send.postInfo, photoUrls: send.photoUrls, coverIndex: send.coverIndex, postMode: send.postMode }, options);
    }
    const source =
      this.#media === null
        ? { source: 'PULL_FROM_URL' as const, videoUrl: send.videoUrl }
        : { source: 'FILE_UPLOAD' as const, videoSize: this.#media.size, chunkSize: env.TIKTOK_UPLOAD_CHUNK_BYTES };
    return send.inbox ? tiktok.initInboxPost(token, { source }, options) : tiktok.initDirectPost(token, { postInfo: send.postInfo, source }, options);
  }
}


