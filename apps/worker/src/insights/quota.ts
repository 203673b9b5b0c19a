import { toError } from '@pubcrawl/errors';
import { QuotaWait, RateLimited, waitForQuota, type QuotaScope } from '@pubcrawl/tiktok';
import type { WorkerContext } from '../context';

/**
 * One upstream call charged to the fleet-wide limiter, as every crawl page is. A denial, and a 429
 * (which first blocks the key fleet-wide, so one refusal does not become a storm), end as a
 * QuotaWait: the runner runs the job again then, without spending an attempt. These jobs make one or
 * two calls, so unlike a crawl they never wait in-process.
 */
export async function withQuota<T>(context: WorkerContext, scope: QuotaScope, send: () => Promise<T>): Promise<T> {
  await waitForQuota(await context.limiter.acquire([scope]));
  try {
    return await send();
  } catch (caught) {
    const error = toError(caught);
    if (!(error instanceof RateLimited)) throw error;
    const blocked = error.scope ?? scope;
    const waitMs = Math.max(1, error.retryAfterMs);
    await context.limiter.block(blocked, waitMs);
    throw new QuotaWait(Date.now() + waitMs, blocked, waitMs);
  }
}
