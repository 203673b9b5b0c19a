import { createHash } from 'node:crypto';
import { KEYS, numericId, permute, seedFromText } from './ids';

export type MediaType = 'video' | 'photo';

export type PublishStatus = 'PROCESSING_UPLOAD' | 'PROCESSING_DOWNLOAD' | 'PUBLISH_COMPLETE' | 'SEND_TO_USER_INBOX' | 'FAILED';

export interface PublishRecord {
  publishId: string;
  accountId: string;
  mediaType: MediaType;
  draft: boolean;
  failReason: string | null;
  createdAt: number;
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
  private readonly instance = String(Math.floor(Math.random() * 900_000) + 100_000);
  private counter = 0;

  constructor(private readonly now: () => number) {}

  create(input: Omit<PublishRecord, 'publishId' | 'createdAt'>): PublishRecord {
    this.counter++;
    const record: PublishRecord = {
      ...input,
      publishId: `v_pub_url~v2.${this.instance}${String(this.counter).padStart(9, '0')}`,
      createdAt: this.now(),
    };
    this.records.set(record.publishId, record);
    return record;
  }

  /** Null when the id is unknown or belongs to another account: both look like 404 to the caller. */
  find(accountId: string, publishId: string): PublishRecord | null {
    const record = this.records.get(publishId);
    return record !== undefined && record.accountId === accountId ? record : null;
  }

  /** Clears publishes but keeps the counter, so ids handed out before a reset are never reused. */
  clear(): void {
    this.records.clear();
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
    const videoId = numericId(7, permute(seedFromText(record.publishId), KEYS.post));
    return {
      ...base,
      status: 'PUBLISH_COMPLETE',
      uploaded_bytes: record.sizeBytes,
      public_post_url: `https://www.tiktok.com/@${encodeURIComponent(record.accountId)}/video/${videoId}`,
    };
  }
}
