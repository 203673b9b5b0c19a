import type { CredentialsCipher} from '@pubcrawl/db';
import { accountView, findAccount, findAccountLink, insertAccountLink, syncPostingAccounts, type ProviderAccountFacts, type SyncOutcome } from '@pubcrawl/db';
import type { LinkAccountBody } from '@pubcrawl/contracts';
import { toError } from '@pubcrawl/errors';
import { enqueueAccountLinkPoll } from '@pubcrawl/queue';
import { Permanent, RateLimited, SubscriptionRequired, UpstreamError, type PostingAccount } from '@pubcrawl/tiktok';
import { z } from 'zod';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { resumeWaitingPosts } from './resume-parked';

/** What an upstream failure inside a request becomes for the client: never a 500. */
export function upstreamFailure(caught: unknown): ApiError {
  const error = toError(caught);
  if (error instanceof ApiError) return error;
  if (error instanceof SubscriptionRequired) return new ApiError(403, 'subscription_required', error.message);
  if (error instanceof RateLimited) {
    return new ApiError(503, 'upstream_unavailable', `the posting API is rate limiting us; try again in ${Math.ceil(error.retryAfterMs / 1_000)} s`);
  }
  if (error instanceof Permanent) return new ApiError(502, 'upstream_unavailable', `the posting API refused: ${error.message}`);
  if (error instanceof UpstreamError) return new ApiError(503, 'upstream_unavailable', `the posting API is unavailable: ${error.message}`);
  return new ApiError(503, 'upstream_unavailable', 'the posting API could not be reached');
}

const storedToken = z.object({ token: z.string().min(1) });

export function decryptLinkToken(cipher: CredentialsCipher, tokenEncrypted: string): string {
  return storedToken.parse(cipher.decrypt(tokenEncrypted)).token;
}

/**
 * Asks the provider for a QR code and records the attempt before answering, with its poll job, so
 * the account appears when the creator confirms even if this client never asks again.
 */
export async function startAccountLink(context: ApiContext, cipher: CredentialsCipher, body: LinkAccountBody): Promise<{ linkId: string; qrCodeImage: string; expiresAt: string }> {
  const qr = await context.posting.requestQrLogin();
  const expiresAt = new Date(Date.now() + qr.expiresInS * 1_000);
  const link = await insertAccountLink(context.db.db, {
    provider: body.provider,
    label: body.label ?? null,
    tokenEncrypted: cipher.encrypt({ token: qr.token }),
    uniqueId: qr.uniqueId,
    expiresAt,
  });
  try {
    await enqueueAccountLinkPoll(context.queues, link.id, context.env.ACCOUNT_LINK_POLL_MS);
  } catch (caught) {
    // Committed already; the worker's reconciler enqueues polls for pending links.
    context.logger.warn({ err: toError(caught), linkId: link.id }, 'could not enqueue the link poll; the reconciler will');
  }
  return { linkId: link.id, qrCodeImage: qr.qrCodeImage, expiresAt: expiresAt.toISOString() };
}

export async function accountLinkView(context: ApiContext, linkId: string) {
  const link = await findAccountLink(context.db.db, linkId);
  if (link === null) return null;
  // A code nobody confirmed in time reads as expired at once, not at the job's next poll.
  const status = (link.status === 'new' || link.status === 'scanned') && link.expiresAt.getTime() <= Date.now() ? 'expired' : link.status;
  const account = link.accountId === null ? null : await findAccount(context.db.db, link.accountId);
  return {
    linkId: link.id,
    status,
    expiresAt: link.expiresAt.toISOString(),
    message: link.message,
    ...(account === null ? {} : { account: accountView(account) }),
  };
}

export function providerAccountFacts(listed: PostingAccount): ProviderAccountFacts {
  const { accountId, username, display_name: displayName, ...rest } = listed;
  const profile: Record<string, unknown> = {};
  for (const key of ['avatar_url', 'bio_description', 'followers', 'following', 'likes', 'videos', 'is_verified'] as const) {
    if (rest[key] !== undefined) profile[key] = rest[key];
  }
  return { externalId: accountId, username, displayName, profile };
}

/** POST /v1/accounts/sync: the provider's list, applied in one transaction; relinked accounts' posts resume. */
export async function syncAccounts(context: ApiContext): Promise<SyncOutcome> {
  const { accounts } = await context.posting.listAccounts();
  // An empty list is far more often a wrong key or a provider hiccup than a team with no accounts
  // left; applied, it would unlink the whole fleet and stop every post.
  if (accounts.length === 0) throw new ApiError(502, 'upstream_unavailable', 'the posting API listed no accounts; nothing was changed (unlink accounts one by one with DELETE /v1/accounts/:id)');
  const outcome = await syncPostingAccounts(context.db.db, accounts.map(providerAccountFacts));
  for (const account of outcome.relinked) await resumeWaitingPosts(context, account.id);
  return outcome;
}
