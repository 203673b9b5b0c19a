import { accountReauthDedupeKey, accountView, crawlView, findCrawl, finishCrawl, followerChangeSummary, markAccountReauthRequired, type CrawlOutcome, type CrawlRow } from '@pubcrawl/db';
import type { CrawlFinishReason } from '@pubcrawl/domain';
import type { WorkerContext } from '../context';
import { dispatchEvents, recordEvent } from '../events';

/**
 * How a crawl run ends. Each is one transaction: the guarded status change and its webhook event
 * commit together, and the event is dispatched only after the commit. A null result means the crawl
 * had already left `running` for this generation (cancelled, resumed), so nothing was written.
 */

export async function completeCrawl(context: WorkerContext, crawl: CrawlRow, finishReason: CrawlFinishReason): Promise<CrawlRow | null> {
  return endCrawl(context, crawl, { status: 'completed', finishReason }, 'crawl.completed');
}

export async function failCrawl(context: WorkerContext, crawl: CrawlRow, errorCode: string, errorMessage: string): Promise<CrawlRow | null> {
  return endCrawl(context, crawl, { status: 'failed', errorCode, errorMessage }, 'crawl.failed');
}

async function endCrawl(context: WorkerContext, crawl: CrawlRow, outcome: CrawlOutcome, key: 'crawl.completed' | 'crawl.failed'): Promise<CrawlRow | null> {
  const result = await context.db.db.transaction(async (tx) => {
    const row = await finishCrawl(tx, crawl.id, crawl.generation, outcome);
    if (row === null) return null;
    const found = await findCrawl(tx, crawl.id);
    const view = crawlView(row, found?.checkpoint ?? null);
    // A completed followers crawl that has a previous one says what changed since. Counted here, in
    // the completing transaction, so the previous crawl is chosen against this crawl's own
    // finished_at; skipped without a webhook URL, where nothing would carry it (two 1M-follower
    // crawls take about 0.65 s).
    const changes =
      key === 'crawl.completed' && row.kind === 'followers' && context.env.WEBHOOK_URL !== undefined ? await followerChangeSummary(tx, row.id) : null;
    const data = changes === null ? view : { ...view, changes };
    // One event per crawl generation: a resumed crawl that completes again is news again.
    const delivery = await recordEvent(context, tx, key, data, `${key}:${crawl.id}:g${crawl.generation}`);
    return { row, delivery };
  });
  if (result === null) return null;
  await dispatchEvents(context, [result.delivery]);
  return result.row;
}

/**
 * A 428: the account's TikTok session is gone. The crawl parks as `reauth_required` (its checkpoint
 * stays where it is) and the account is flagged, so its owner is asked to re-authorise; doing so
 * re-enqueues every crawl parked on it (apps/api resumeParkedCrawls).
 */
export async function parkCrawlForReauth(context: WorkerContext, crawl: CrawlRow, accountId: string, reason: string): Promise<CrawlRow | null> {
  const result = await context.db.db.transaction(async (tx) => {
    const row = await finishCrawl(tx, crawl.id, crawl.generation, { status: 'reauth_required', errorCode: 'session_expired', errorMessage: reason });
    if (row === null) return null;
    // Same event, shape and dedupe key as when publishing finds the session expired: one per expiry.
    const account = await markAccountReauthRequired(tx, accountId, reason);
    const delivery = account === null ? null : await recordEvent(context, tx, 'account.reauth_required', accountView(account), accountReauthDedupeKey(account));
    return { row, delivery };
  });
  if (result === null) return null;
  await dispatchEvents(context, [result.delivery]);
  return result.row;
}
