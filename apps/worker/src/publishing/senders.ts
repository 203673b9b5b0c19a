import type { AccountRow, PostRow } from '@pubcrawl/db';
import { waitForQuota } from '@pubcrawl/tiktok';
import type { WorkerContext } from '../context';
import type { PostSender } from './post-sender';
import { toPostingBody } from './posting-body';
import type { PublishLane } from './publish-lane';
import { TikTokSender, toTikTokSend } from './tiktok-send';

export type { PostSender } from './post-sender';

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
  return { ok: true, sender: new TikTokSender(context, account, built.send) };
}
