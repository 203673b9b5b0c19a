import { createHash } from 'node:crypto';
import { tiktokVideoUrl } from '@pubcrawl/contracts';
import {
  accountReauthDedupeKey,
  accountView,
  findAccountByExternalId,
  findPostByPublishId,
  markAccountReauthRequired,
  parkScheduledPosts,
  recordInboundWebhook,
  recordPublicPostId,
  recordWebhookEvent,
  setInboundWebhookOutcome,
  type AccountRow,
} from '@pubcrawl/db';
import { toError } from '@pubcrawl/errors';
import { enqueueWebhook } from '@pubcrawl/queue';
import { TikTokWebhookEvent, verifyTikTokSignature } from '@pubcrawl/tiktok';
import { z } from 'zod';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { pollPostNow } from './posts';

/** TikTok's own page leaves the window to us; five minutes bounds a replay without refusing a slow retry. */
export const WEBHOOK_TOLERANCE_S = 300;

const PublishContent = z.looseObject({ publish_id: z.string().min(1), post_id: z.union([z.string(), z.number()]).optional() });

/** What applying one delivery did, also stored on its row for an operator. */
export type WebhookOutcome = { applied: boolean; outcome: string };

/**
 * A TikTok webhook: verified against the client secret over the raw bytes, recorded once by a hash
 * of those bytes (TikTok delivers at least once and retries for 72 h), then applied. Publish events
 * make the post's status poll run now, so the status endpoint stays the one source of outcomes and a
 * webhook only makes it arrive sooner; `authorization.removed` parks the account.
 */
export async function receiveTikTokWebhook(context: ApiContext, rawBody: Buffer, signatureHeader: string | undefined, now: number = Date.now()): Promise<WebhookOutcome & { duplicate: boolean }> {
  const check = verifyTikTokSignature(context.tiktok.app.clientSecret, signatureHeader, rawBody, { toleranceSeconds: WEBHOOK_TOLERANCE_S, now });
  if (!check.ok) {
    const why = check.reason === 'stale' ? `its timestamp is more than ${WEBHOOK_TOLERANCE_S} s from now` : check.reason === 'malformed' ? 'the TikTok-Signature header is missing or malformed' : 'the signature does not match';
    throw new ApiError(401, 'invalid_signature', `Webhook refused: ${why}`);
  }
  let parsed: TikTokWebhookEvent;
  try {
    parsed = TikTokWebhookEvent.parse(JSON.parse(rawBody.toString('utf8')));
  } catch {
    throw new ApiError(400, 'invalid_input', 'The webhook body is not a TikTok event (client_key, event, create_time, user_openid, content)', { body: 'not a TikTok event' });
  }
  if (parsed.client_key !== context.tiktok.app.clientKey) throw new ApiError(401, 'invalid_signature', 'Webhook refused: it is for another TikTok app (client_key)');

  const recorded = await recordInboundWebhook(context.db.db, {
    provider: 'tiktok',
    dedupeKey: `tiktok:${createHash('sha256').update(rawBody).digest('hex')}`,
    event: parsed.event,
    subject: parsed.user_openid,
    payload: parsed,
  });
  if (recorded.applied) return { duplicate: true, applied: false, outcome: 'already received' };
  let result: WebhookOutcome;
  try {
    result = await applyTikTokEvent(context, parsed);
  } catch (caught) {
    // Not acknowledged, so TikTok delivers it again, and the row (no outcome yet) lets it apply then.
    context.logger.warn({ err: toError(caught), event: parsed.event }, 'could not apply a TikTok webhook; TikTok will retry it');
    throw new ApiError(503, 'upstream_unavailable', 'The webhook could not be applied now; deliver it again later');
  }
  await setInboundWebhookOutcome(context.db.db, recorded.id, result.outcome);
  return { duplicate: !recorded.fresh, ...result };
}

async function applyTikTokEvent(context: ApiContext, event: TikTokWebhookEvent): Promise<WebhookOutcome> {
  const account = await findAccountByExternalId(context.db.db, 'tiktok', event.user_openid);
  if (account === null) return { applied: false, outcome: `no tiktok account has open_id ${event.user_openid}` };
  if (event.event === 'authorization.removed') return parkForRemovedAuthorization(context, account, event);
  // Content Posting events (post.publish.*; the older Share Kit's video.*) all name the publish.
  if (!/^(post\.publish|video)\./.test(event.event)) return { applied: false, outcome: `event ${event.event} needs nothing from pubcrawl` };
  let content: z.infer<typeof PublishContent>;
  try {
    content = PublishContent.parse(JSON.parse(event.content));
  } catch {
    return { applied: false, outcome: `event ${event.event} carries no publish_id` };
  }
  const post = await findPostByPublishId(context.db.db, account.id, content.publish_id);
  if (post === null) return { applied: false, outcome: `no post of account ${account.id} has publish_id ${content.publish_id}` };
  if (post.status === 'processing') {
    try {
      await pollPostNow(context, post.id);
    } catch (caught) {
      // It left `processing` between the two reads: its outcome is in, nothing to hurry.
      if (caught instanceof ApiError && caught.statusCode === 409) return { applied: false, outcome: `post ${post.id} moved on before ${event.event} arrived` };
      throw caught;
    }
    return { applied: true, outcome: `status poll of post ${post.id} run now (${event.event})` };
  }
  // Public posts get their id only after moderation, sometimes after the status said complete.
  const postId = content.post_id === undefined ? null : String(content.post_id);
  const username = account.username ?? null;
  if (post.status === 'published' && post.publicUrl === null && postId !== null && username !== null) {
    const updated = await recordPublicPostId(context.db.db, post.id, tiktokVideoUrl(username, postId), { event: event.event, postId });
    return { applied: updated, outcome: updated ? `public URL of post ${post.id} recorded` : `post ${post.id} already had its URL` };
  }
  return { applied: false, outcome: `post ${post.id} is ${post.status}; ${event.event} changes nothing` };
}

async function parkForRemovedAuthorization(context: ApiContext, account: AccountRow, event: TikTokWebhookEvent): Promise<WebhookOutcome> {
  const reason = `the creator removed pubcrawl's authorization on TikTok (authorization.removed${reasonText(event.content)}); connect the account again`;
  const delivery = await context.db.db.transaction(async (tx) => {
    const parked = await markAccountReauthRequired(tx, account.id, reason);
    if (parked === null) return { parked: false, id: null };
    await parkScheduledPosts(tx, account.id, { code: 'account_reauth_required', message: 'the account must be re-authorized before it can publish' });
    const url = context.env.WEBHOOK_URL;
    const id = url === undefined ? null : await recordWebhookEvent(tx, { key: 'account.reauth_required', data: accountView(parked), dedupeKey: accountReauthDedupeKey(parked), url });
    return { parked: true, id };
  });
  if (delivery.id !== null) {
    try {
      await enqueueWebhook(context.queues, delivery.id);
    } catch (caught) {
      // Committed; the worker's webhook reconciler sends pending deliveries.
      context.logger.warn({ err: toError(caught), deliveryId: delivery.id }, 'could not enqueue the webhook; the reconciler will');
    }
  }
  return { applied: delivery.parked, outcome: delivery.parked ? `account ${account.id} parked: ${reason}` : `account ${account.id} was not active` };
}

const REMOVAL_REASONS: Record<number, string> = {
  1: 'the user disconnected it in the TikTok app',
  2: "the user's account was deleted",
  3: "the user's age changed",
  4: "the user's account was banned",
  5: 'the developer revoked it',
};

function reasonText(content: string): string {
  try {
    const reason = z.object({ reason: z.number() }).parse(JSON.parse(content)).reason;
    const text = REMOVAL_REASONS[reason];
    return text === undefined ? '' : `: ${text}`;
  } catch {
    return '';
  }
}
