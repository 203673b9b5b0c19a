import { requeueCrawls } from '@pubcrawl/db';
import { enqueueCrawl } from '@pubcrawl/queue';

import type { ApiContext } from '../context';
import { toError } from '@pubcrawl/errors';

/**
 * After an account is re-authorised: every crawl parked on it (`reauth_required`) goes back to
 * `queued` with a new generation and is re-enqueued from its checkpoint, so it continues with the
 * page after the last one it committed: no gap, no duplicate. Returns how many crawls resumed.
 */
export async function resumeParkedCrawls(context: ApiContext, accountId: string): Promise<number> {
  const resumed = await context.db.db.transaction((tx) => requeueCrawls(tx, { accountId }, ['reauth_required']));
  for (const { crawl, checkpoint } of resumed) {
    try {
      await enqueueCrawl(context.queues, crawl, checkpoint.segmentPages);
    } catch (e) {
      // The crawl is queued in Postgres; the worker's reconciler enqueues it if this did not.
      context.logger.warn({ err: toError(e), crawlId: crawl.id }, 'could not enqueue a resumed crawl; the reconciler will');
    }
  }
  return resumed.length;
}
