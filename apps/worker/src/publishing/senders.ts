import { recordPostNote, type AccountRow, type PostRow } from '@pubcrawl/db';
import { waitForQuota, type CreatePostResult, type TikTokInitResult } from '@pubcrawl/tiktok';
import type { WorkerContext } from '../context';
import { endPost } from './outcomes';
import { toPostingBody } from './posting-body';
import type { PublishLane } from './publish-lane';
import { TikTokSender, toTikTokSend } from './tiktok-send';

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

export type SenderResult = { ok: true; sender: PostSender } | { ok: false; code: 'invalid_request' | 'wrong_provider'; message: string };

export function senderFor(context: WorkerContext, lane: PublishLane, post: PostRow, account: AccountRow): SenderResult {
  switch (account.provider) {
    case 'posting':
      return postingSender(context, lane, post, account);
    case 'tiktok':
      return tiktokSender(context, post, account);
    default:
      return { ok: false, code: 'wrong_provider', message: `account ${account.id} is a ${account.provider} account; only posting and tiktok accounts can publish` };
  }
}

function postingSender(context: WorkerContext, lane: PublishLane, post: PostRow, account: AccountRow): SenderResult {
  const built = toPostingBody(post, account);
  if (!built.ok) return { ok: false, code: 'invalid_request', message: built.message };
  return {
    ok: true,
    sender: {
      isDraft: built.body.tiktokSettings.draft === true,
      acquireQuota: async () => waitForQuota(await context.limiter.acquire(lane.posting.scopesFor('publish', account.externalId))),
      prepare: async () => undefined,
      // Bounded as a whole (not only per phase), so `inFlightSettledAt` is a true upper bound.
      send: () => lane.posting.createPost(built.body, { signal: AbortSignal.timeout(context.env.UPSTREAM_TIMEOUT_MS) }),
      afterSubmitted: async () => undefined,
      discard: () => undefined,
    },
  };
}

function tiktokSender(context: WorkerContext, post: PostRow, account: AccountRow): SenderResult {
  const built = toTikTokSend(post, context.env.TIKTOK_UPLOAD_MODE);
  if (!built.ok) return { ok: false, code: 'invalid_request', message: built.message };
  const sender = new TikTokSender(context, account, built.send);
  let initResult: TikTokInitResult | null = null;
  return {
    ok: true,
    sender: {
      isDraft: sender.isDraft,
      acquireQuota: () => sender.acquireQuota(),
      prepare: () => sender.openMedia(),
      async send() {
        initResult = await sender.init();
        return { publishId: initResult.publishId, mediaType: post.mediaType === 'photo' ? 'photo' : 'video', raw: initResult.raw };
      },
      async afterSubmitted(submitted) {
        if (initResult === null || !sender.needsUpload) return;
        const upload = await sender.upload(initResult);
        if (upload.ok) return;
        context.logger.warn({ postId: submitted.id, refused: upload.refused, reason: upload.message }, 'the file upload to TikTok failed');
        if (upload.refused) {
          // TikTok refused a chunk, so it never has the whole file and cannot publish it; the
          // upload URL is single-use, so an operator's retry starts a new init.
          await endPost(context, submitted, ['processing'], 'failed', { code: 'upload_failed', message: `TikTok refused the file upload: ${upload.message}` });
          return;
        }
        // No answer: the last chunk may have arrived. The post stays processing and its status
        // poll (already queued) learns from TikTok whether the file was complete.
        await recordPostNote(context.db.db, submitted, { code: 'upload_interrupted', message: `the file upload to TikTok was interrupted (${upload.message}); TikTok's status decides the outcome` });
      },
      discard: () => sender.discard(),
    },
  };
}
