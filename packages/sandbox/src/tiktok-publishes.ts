import { randomBytes } from 'node:crypto';
import { chunkRange, type ChunkDeclaration } from './tiktok-chunks';

export type TikTokPublishStatus = 'PROCESSING_UPLOAD' | 'PROCESSING_DOWNLOAD' | 'SEND_TO_USER_INBOX' | 'PUBLISH_COMPLETE' | 'FAILED';
export type TikTokPublishType = 'DIRECT_PUBLISH' | 'INBOX_SHARE';
/** A video (video or inbox init) or a photo carousel (content init with `media_type: PHOTO`). */
export type TikTokMediaType = 'VIDEO' | 'PHOTO';

/** What a `video_url` containing this marker ends in; see the README. */
export const TIKTOK_FAIL_MARKER = 'fail';
export const TIKTOK_FAIL_REASON = 'file_format_check_failed';

export interface TikTokPublish {
  publishId: string;
  openId: string;
  type: TikTokPublishType;
  mediaType: TikTokMediaType;
  privacyLevel: string | null;
  title: string;
  /** Photos only: `post_info.description`, the caption under a carousel. Videos carry theirs in `title`. */
  description: string;
  source: 'FILE_UPLOAD' | 'PULL_FROM_URL';
  /** FILE_UPLOAD only: what init declared, which every PUT is checked against. */
  chunks: ChunkDeclaration | null;
  uploadId: string | null;
  receivedBytes: number;
  nextChunk: number;
  /** When the media was all there (init for PULL_FROM_URL, the last chunk for FILE_UPLOAD). */
  mediaReadyAt: number | null;
  failReason: string | null;
  durationMs: number;
  postId: string;
  /** Sandbox-wide order of creation, which breaks ties between videos listed at the same instant. */
  sequence: number;
  /** Wall-clock and monotonic ms at init, so the wall-clock completion instant can be derived from `now`. */
  createdAtWall: number;
  createdAt: number;
  /** Whether the final-state webhooks have been queued, so each publish announces its outcome once. */
  announced: boolean;
}

export interface TikTokStatusView {
  status: TikTokPublishStatus;
  fail_reason?: string;
  publicaly_available_post_id?: string[];
  uploaded_bytes?: number;
  downloaded_bytes?: number;
}

/** One entry of `/v2/video/list/`, before the `fields` filter. */
export interface TikTokListedVideo {
  publish: TikTokPublish;
  /** Wall-clock ms the listing is keyed by: the completion instant, nudged to be unique per user. */
  listedAtMs: number;
}

export type ChunkAcceptance = { ok: true; complete: boolean } | { ok: false; status: 400 | 404 | 416; message: string };

/** Sandbox-wide counter so post ids never repeat within a process, resets included. */
let postCounter = 0;

export class TikTokPublishes {
  private readonly byId = new Map<string, TikTokPublish>();
  private readonly byUploadId = new Map<string, TikTokPublish>();

  constructor(
    private readonly now: () => number,
    private readonly clock: () => number,
  ) {}

  create(input: Pick<TikTokPublish, 'openId' | 'type' | 'mediaType' | 'privacyLevel' | 'title' | 'description' | 'source' | 'chunks' | 'failReason' | 'durationMs'>): TikTokPublish {
    postCounter++;
    const publish: TikTokPublish = {
      ...input,
      sequence: postCounter,
      createdAtWall: this.clock(),
      createdAt: this.now(),
      publishId: `v_pub_file~v2-1.${randomBytes(9).toString('hex')}`,
      uploadId: input.source === 'FILE_UPLOAD' ? randomBytes(12).toString('hex') : null,
      receivedBytes: 0,
      nextChunk: 0,
      mediaReadyAt: input.source === 'PULL_FROM_URL' ? this.now() : null,
      postId: String(7_300_000_000_000_000_000n + BigInt(postCounter)),
      announced: false,
    };
    this.byId.set(publish.publishId, publish);
    if (publish.uploadId !== null) this.byUploadId.set(publish.uploadId, publish);
    return publish;
  }

  find(openId: string, publishId: string): TikTokPublish | null {
    const publish = this.byId.get(publishId);
    // Another user's publish id reads as unknown, as it would on TikTok.
    return publish !== undefined && publish.openId === openId ? publish : null;
  }

  byUpload(uploadId: string): TikTokPublish | null {
    return this.byUploadId.get(uploadId) ?? null;
  }

  all(): IterableIterator<TikTokPublish> {
    return this.byId.values();
  }

  /** One PUT of `bytes` covering `[start, end]`: accepted only if it is exactly the next chunk. */
  acceptChunk(publish: TikTokPublish, range: { start: number; end: number; total: number }, bytes: number): ChunkAcceptance {
    const chunks = publish.chunks;
    if (chunks === null) return { ok: false, status: 404, message: 'this publish takes no upload' };
    if (publish.nextChunk >= chunks.totalChunkCount) return { ok: false, status: 416, message: 'every chunk has already been uploaded' };
    if (range.total !== chunks.videoSize) return { ok: false, status: 400, message: `Content-Range total must be video_size ${chunks.videoSize}` };
    const expected = chunkRange(chunks, publish.nextChunk);
    if (range.start !== expected.start || range.end !== expected.end) {
      return { ok: false, status: 416, message: `chunks go in order: expected bytes ${expected.start}-${expected.end}/${chunks.videoSize}` };
    }
    if (bytes !== range.end - range.start + 1) return { ok: false, status: 400, message: `the body has ${bytes} bytes, Content-Range says ${range.end - range.start + 1}` };
    publish.receivedBytes += bytes;
    publish.nextChunk++;
    const complete = publish.nextChunk === chunks.totalChunkCount;
    if (complete) publish.mediaReadyAt = this.now();
    return { ok: true, complete };
  }

  /**
   * Lazily computed, like the posting API's lifecycle: PROCESSING_UPLOAD while chunks are missing,
   * then the processing phase for `durationMs`, then the outcome. Pull-from-URL spends the
   * processing phase in PROCESSING_DOWNLOAD, since TikTok is fetching the file.
   */
  statusOf(publish: TikTokPublish): TikTokStatusView {
    const size = publish.chunks?.videoSize;
    if (publish.mediaReadyAt === null) return { status: 'PROCESSING_UPLOAD', uploaded_bytes: publish.receivedBytes };
    if (this.now() - publish.mediaReadyAt < publish.durationMs) {
      return publish.source === 'PULL_FROM_URL'
        ? { status: 'PROCESSING_DOWNLOAD', downloaded_bytes: 0 }
        : { status: 'PROCESSING_UPLOAD', uploaded_bytes: size ?? 0 };
    }
    if (publish.failReason !== null) return { status: 'FAILED', fail_reason: publish.failReason, publicaly_available_post_id: [] };
    if (publish.type === 'INBOX_SHARE') return { status: 'SEND_TO_USER_INBOX', ...(size === undefined ? {} : { uploaded_bytes: size }) };
    // TikTok names a post only once it is publicly viewable; a SELF_ONLY post completes without one.
    const ids = publish.privacyLevel === 'SELF_ONLY' ? [] : [publish.postId];
    return { status: 'PUBLISH_COMPLETE', publicaly_available_post_id: ids, ...(size === undefined ? {} : { uploaded_bytes: size }) };
  }

  /**
   * The user's direct posts that have reached `PUBLISH_COMPLETE`, newest first, as `/v2/video/list/`
   * shows them. `includePrivate: false` keeps only non-`SELF_ONLY` ones, as TikTok's page words it
   * ("public video posts"). Each is keyed by the wall-clock instant it completed; TikTok's cursor is
   * such an instant, so two videos on the same millisecond (a frozen test clock) are nudged apart by
   * 1 ms in creation order, or paging by time would drop one of them.
   */
  listed(openId: string, options: { includePrivate: boolean }): TikTokListedVideo[] {
    const done: Array<{ publish: TikTokPublish; completedAtWall: number }> = [];
    for (const publish of this.byId.values()) {
      if (publish.openId !== openId || publish.type !== 'DIRECT_PUBLISH') continue;
      if (!options.includePrivate && publish.privacyLevel === 'SELF_ONLY') continue;
      if (this.statusOf(publish).status !== 'PUBLISH_COMPLETE' || publish.mediaReadyAt === null) continue;
      done.push({ publish, completedAtWall: publish.createdAtWall + (publish.mediaReadyAt + publish.durationMs - publish.createdAt) });
    }
    done.sort((a, b) => a.completedAtWall - b.completedAtWall || a.publish.sequence - b.publish.sequence);
    const listed: TikTokListedVideo[] = [];
    let previous = -Infinity;
    for (const { publish, completedAtWall } of done) {
      previous = Math.max(Math.floor(completedAtWall), previous + 1);
      listed.push({ publish, listedAtMs: previous });
    }
    return listed.reverse();
  }

  clear(): void {
    this.byId.clear();
    this.byUploadId.clear();
  }
}
