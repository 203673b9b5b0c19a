import type { PostRow } from '@pubcrawl/db';
import type { CreatePostResult } from '@pubcrawl/tiktok';

/**
 * How one post reaches its provider. The publish processor owns the order and the guarantees
 * (holds, claim before the call, the answer committed with the claim's outcome); a sender only
 * knows its provider's calls.
 */
export interface PostSender {
  /** Drafts land in the creator's inbox; some holds apply to them alone. */
  readonly isDraft: boolean;
  /** Takes the provider's quota slot for this send (may throw QuotaWait, or SessionExpired). */
  acquireQuota(): Promise<void>;
  /** Anything else that can fail before the claim (opening a file upload's media). */
  prepare(): Promise<void>;
  /** The one call inside the publishing window. */
  send(): Promise<CreatePostResult>;
  /** After the publish id is committed: work the provider needs once it has accepted the post. */
  afterSubmitted(post: PostRow): Promise<void>;
  /** The call will not be made: release what `prepare` holds. */
  discard(): void;
}
