import { createHash } from 'node:crypto';
import { KEYS, numericId, permute, seedFromText } from './ids';
import type { PublishedVideo } from './data';
import type { PrivacyLevel } from './posting-validation';

export type MediaType = 'video' | 'photo';

export type PublishStatus = 'PROCESSING_UPLOAD' | 'PROCESSING_DOWNLOAD' | 'PUBLISH_COMPLETE' | 'SEND_TO_USER_INBOX' | 'FAILED';

export interface PublishRecord {
  publishId: string;
  accountId: string;
  /** The provider username at post time: the `@U` of its public URL and whose feed it joins. */
  username: string;
  /** What its feed entry says: the post's `content`, or the photo title when there is none. */
  caption: string;
  privacyLevel: PrivacyLevel;
  /** Sandbox day of the post; its video's stats count from here. */
  day: number;
  mediaType: MediaType;
  draft: boolean;
  failReason: string | null;
  createdAt: number;
  /** Wall-clock ms of the post, unique within the store so feed cursors never tie. */
  submittedAtMs: number;
  videoId: string;
  /** Captured at post time so reconfiguring later does not move a publish backwards in its lifecycle. */
  durationMs: number;
  sizeBytes: number;
}

export interface PublishStatusView {
  publish_id: string;
  status: PublishStatus;
  fail_reason?: string;
  public_post_url?: string;
  uploaded_bytes?: number;
}

/** What a publish is about, for duplicate detection: the same post sent twice hashes the same. */
export interface PublishContent {
  accountId: string;
  content?: string | undefined;
  photoTitle?: string | undefined;
  mediaUrls: readonly string[];
}

/**
 * sha256 hex of `JSON.stringify({accountId, content, mediaItems, photoTitle})` with keys in that
 * (alphabetical) order, absent text as "" and `mediaItems` as the list of URLs. Exported so tests can
 * look a publish up in the stats without reimplementing the canonical form.
 */
export function publishContentHash(input: PublishContent): string {
  const canonical = JSON.stringify({
    accountId: input.accountId,
    content: input.content ?? '',
    mediaItems: [...input.mediaUrls],
    photoTitle: input.photoTitle ?? '',
  });
  return createHash('sha256').update(canonical).digest('hex');
}

export const FAIL_REASON = 'file_format_check_failed';

/**
 * In-memory publishes. Ids carry a per-process prefix so a publish id from before a restart is
 * "not found" rather than silently naming somebody else's post.
 */
export class PublishStore {
  private readonly records = new Map<string, PublishRecord>();
  private readonly byVideoId = new Map<string, PublishRecord>();
  private readonly instance = String(Math.floor(Math.random() * 900_000) + 100_000);
  private counter = 0;
  private lastSubmittedAtMs = 0;

  /**
   * @param now monotonic ms, which drives the lifecycle
   * @param clock wall-clock ms, which only dates the published video (`createTime`)
   */
  constructor(
    private readonly now: () => number,
    private readonly clock: () => number = Date.now,
  ) {}

  create(input: Omit<PublishRecord, 'publishId' | 'createdAt' | 'submittedAtMs' | 'videoId'>): PublishRecord {
    this.counter++;
    const publishId = `v_pub_url~v2.${this.instance}${String(this.counter).padStart(9, '0')}`;
    this.lastSubmittedAtMs = Math.max(Math.floor(this.clock()), this.lastSubmittedAtMs + 1);
    const record: PublishRecord = {
      ...input,
      publishId,
      createdAt: this.now(),
      submittedAtMs: this.lastSubmittedAtMs,
      videoId: numericId(7, permute(seedFromText(publishId), KEYS.post)),
    };
    this.records.set(record.publishId, record);
    this.byVideoId.set(record.videoId, record);
    return record;
  }

  /** Completed, public publishes to `username`, newest first: what its `/public/posts` feed shows. */
  publicVideosOf(username: string): PublishedVideo[] {
    const videos: PublishedVideo[] = [];
    for (const record of this.records.values()) {
      if (record.username === username && this.isPublicVideo(record)) videos.push(this.videoOf(record));
    }
    return videos.sort((a, b) => b.createTimeMs - a.createTimeMs);
  }

  /** A completed publish by its video id, with whether anyone but its author may see it. */
  findVideo(videoId: string): { record: PublishRecord; video: PublishedVideo; isPublic: boolean } | null {
    const record = this.byVideoId.get(videoId);
    if (record === undefined || this.statusOf(record).status !== 'PUBLISH_COMPLETE') return null;
    return { record, video: this.videoOf(record), isPublic: record.privacyLevel === 'PUBLIC_TO_EVERYONE' };
  }

  /** Whether the sandbox ever accepted a post for this username (its profile then exists on TikAPI). */
  hasUsername(username: string): boolean {
    for (const record of this.records.values()) if (record.username === username) return true;
    return false;
  }

  private isPublicVideo(record: PublishRecord): boolean {
    return record.privacyLevel === 'PUBLIC_TO_EVERYONE' && this.statusOf(record).status === 'PUBLISH_COMPLETE';
  }

  private videoOf(record: PublishRecord): PublishedVideo {
    // The status turns final after two thirds of the duration; that moment is the publish time.
    const createTimeMs = record.submittedAtMs + Math.ceil((2 * record.durationMs) / 3);
    return { videoId: record.videoId, desc: record.caption, createTimeMs, createTime: Math.floor(createTimeMs / 1000), day: record.day };
  }

  /** Null when the id is unknown or belongs to another account: both look like 404 to the caller. */
  find(accountId: string, publishId: string): PublishRecord | null {
    const record = this.records.get(publishId);
    return record !== undefined && record.accountId === accountId ? record : null;
  }

  /** Clears publishes but keeps the counter, so ids handed out before a reset are never reused. */
  clear(): void {
    this.records.clear();
    this.byVideoId.clear();
  }

  statusOf(record: PublishRecord): PublishStatusView {
    const elapsed = this.now() - record.createdAt;
    const third = record.durationMs / 3;
    const base = { publish_id: record.publishId };
    if (elapsed < third) {
      const uploaded = Math.floor((record.sizeBytes * elapsed) / Math.max(third, 1));
      return { ...base, status: 'PROCESSING_UPLOAD', uploaded_bytes: Math.min(uploaded, record.sizeBytes) };
    }
    if (elapsed < 2 * third) return { ...base, status: 'PROCESSING_DOWNLOAD', uploaded_bytes: record.sizeBytes };
    if (record.failReason !== null) return { ...base, status: 'FAILED', fail_reason: record.failReason };
    if (record.draft) return { ...base, status: 'SEND_TO_USER_INBOX', uploaded_bytes: record.sizeBytes };
    return {
      ...base,
      status: 'PUBLISH_COMPLETE',
      uploaded_bytes: record.sizeBytes,
      public_post_url: `https://www.tiktok.com/@${encodeURIComponent(record.username)}/video/${record.videoId}`,
    };
  }
}
