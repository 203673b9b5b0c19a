import { confirmAccountLink, findAccountLink, isFinalLinkStatus, recordLinkStatus, releaseWaitingPosts } from '@pubcrawl/db';
import { toError } from '@pubcrawl/errors';
import { enqueuePublishes } from '@pubcrawl/queue';
import { z } from 'zod';
import type { WorkerContext } from '../context';
import { rescheduleAt } from '../job-contract';
import type { Processor } from './index';

const storedToken = z.object({ token: z.string().min(1) });

/**
 * Polls one QR link with the provider, on ACCOUNT_LINK_POLL_MS (the provider's 10 s), until it
 * ends. The provider answers `confirmed` once: every later check says `utilised`. So only this job
 * checks (the API's GET reads Postgres), and the account is written in the same transaction that
 * marks the link confirmed.
 */
export function createAccountLinkProcessor(context: WorkerContext): Processor<'account-links'> {
  return async (run) => {
    const link = await findAccountLink(context.db.db, run.payload.linkId);
    if (link === null) return { skipped: 'link not found' };
    if (isFinalLinkStatus(link.status)) return { skipped: link.status };
    if (link.expiresAt.getTime() <= Date.now()) {
      await recordLinkStatus(context.db.db, link.id, 'expired', 'the QR code expired before it was confirmed');
      return { status: 'expired' };
    }
    const token = storedToken.parse(context.cipher.decrypt(link.tokenEncrypted)).token;
    const check = await context.posting.checkQrLogin(token);
    switch (check.status) {
      case 'new':
      case 'scanned': {
        if (check.status !== link.status) await recordLinkStatus(context.db.db, link.id, check.status, null);
        const next = Math.min(Date.now() + context.env.ACCOUNT_LINK_POLL_MS, link.expiresAt.getTime() + 1);
        return rescheduleAt(next, `QR code ${check.status}; checking again`);
      }
      case 'confirmed': {
        if (check.account === undefined) {
          await recordLinkStatus(context.db.db, link.id, 'utilised', 'the provider confirmed the link without naming the account');
          return { status: 'utilised' };
        }
        const confirmed = await confirmAccountLink(context.db.db, link.id, {
          externalId: check.account.accountId,
          username: check.account.username,
          displayName: check.account.displayName,
        });
        if (confirmed === null) return { skipped: 'already final' };
        // A re-link of an unlinked account: the posts that waited for it go now.
        const released = await releaseWaitingPosts(context.db.db, confirmed.account.id);
        await enqueuePublishes(context.queues, released).catch((caught: unknown) => {
          context.logger.warn({ err: toError(caught), accountId: confirmed.account.id }, 'could not enqueue released posts; the reconciler will');
        });
        return { status: 'confirmed', accountId: confirmed.account.id };
      }
      case 'expired':
        await recordLinkStatus(context.db.db, link.id, 'expired', check.message ?? 'the QR code expired');
        return { status: 'expired' };
      case 'utilised':
        // The provider says `confirmed` once. If that answer was lost (a timeout, a crash), the
        // creator did confirm and the account is in the provider's list; only a sync can tell which.
        await recordLinkStatus(
          context.db.db,
          link.id,
          'utilised',
          `${check.message ?? 'the QR code was already used'}; if the creator confirmed it, POST /v1/accounts/sync imports the account`,
        );
        return { status: 'utilised' };
    }
  };
}
