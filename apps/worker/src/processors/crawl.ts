import { findCrawl, startCrawlRun, type CrawlRow } from '@pubcrawl/db';
import { crawlJobId, enqueueCrawl } from '@pubcrawl/queue';
import { ACTIVE_CRAWL_STATUSES, type CrawlStatus } from '@pubcrawl/domain';
import { Permanent, QuotaWait, SessionExpired, UpstreamError } from '@pubcrawl/tiktok';
import type { WorkerContext } from '../context';
import { JobFailed, type JobRun, type Rescheduled } from '../job-contract';
import { completeCrawl, failCrawl, parkCrawlForReauth } from '../crawls/outcomes';
import { runCrawlSegment, type SegmentSummary } from '../crawls/segment';
import type { Processor } from './index';
import { toError } from '@pubcrawl/errors';

/** TikTok's paging depth cap: re-asking gets the same answer, so it is where the list ends for us. */
const LIST_LIMIT_REACHED = '10404';

type CrawlJobResult = SegmentSummary | { skipped: string } | Rescheduled;

/**
 * Every crawl queue. A job is one segment of one crawl, named `crawl-<id>-g<generation>-p<segment>`;
 * Postgres says which segment is current (crawl_checkpoints.segment_pages), and a job that is not it
 * (an old generation, a segment that already handed over, a copy the reconciler made) steps aside.
 *
 * Timings (apps/worker/src/env.ts), and why:
 * - CRAWL_SEGMENT_PAGES 50 / CRAWL_SEGMENT_MS 30 s: a segment then re-enqueues itself, so no job holds
 *   a crawl for long, crawls beyond the worker slots rotate through them, and Bull Board shows
 *   progress. Each hand-over costs two small Postgres commits and a few Redis calls: a few percent
 *   of a 50-page segment.
 * - JOB_LOCK_DURATION_MS 15 s / STALLED_INTERVAL_MS 5 s: a killed worker's job is taken over by any
 *   live worker within about lockDuration + stalledInterval (≤ 20 s) and resumes from the
 *   checkpoint, losing at most the page in flight. Shorter locks recover sooner but mistake a
 *   blocked event loop for a dead worker more often; for crawls even that is safe (the two copies
 *   meet at the checkpoint guard and one steps aside, at worst one page fetched twice).
 * - SIGTERM: the loop checks the shutdown signal before every page, so a deploy waits for at most
 *   one page (well inside SHUTDOWN_GRACE_MS 20 s) and the next segment is already enqueued.
 */
export function createCrawlProcessor(context: WorkerContext): Processor<'crawl-followers' | 'crawl-hashtag' | 'crawl-profiles'> {
  return async (run) => {
    const { crawlId, generation, segment } = run.payload;
    const found = await findCrawl(context.db.db, crawlId);
    if (found === null || found.checkpoint === null) return { skipped: 'crawl not found' } satisfies CrawlJobResult;
    const { checkpoint } = found;
    if (!(ACTIVE_CRAWL_STATUSES as readonly CrawlStatus[]).includes(found.crawl.status)) return { skipped: `crawl is ${found.crawl.status}` } satisfies CrawlJobResult;

    if (generation !== found.crawl.generation || segment !== checkpoint.segmentPages) {
      const current = crawlJobId(found.crawl, checkpoint.segmentPages);
      // The current segment's job may be the one that is missing (a crash between handing over and
      // enqueueing): adding it is idempotent, and cheaper than waiting for the reconciler.
      await enqueueCrawl(context.queues, found.crawl, checkpoint.segmentPages);
      return { skipped: `stale segment; current is ${current}` } satisfies CrawlJobResult;
    }

    const crawl = await startCrawlRun(context.db.db, crawlId, found.crawl.generation);
    if (crawl === null) return { skipped: 'crawl left the queue' } satisfies CrawlJobResult;
    try {
      return await runCrawlSegment(context, crawl, checkpoint);
    } catch (e) {
      return handleCrawlError(context, run, crawl, toError(e));
    }
  };
}

/**
 * The crawl's side of an error: park on 428, fail on Permanent, record the reason on the last
 * attempt of anything else. The runner then does the job's side from the same error.
 */
async function handleCrawlError(context: WorkerContext, run: JobRun<'crawl-followers' | 'crawl-hashtag' | 'crawl-profiles'>, crawl: CrawlRow, error: Error): Promise<CrawlJobResult> {
  // Not a failure: the runner moves the job to delayed until the quota is back.
  if (error instanceof QuotaWait) throw error;

  if (error instanceof SessionExpired && crawl.accountId !== null) {
    await parkCrawlForReauth(context, crawl, crawl.accountId, error.message);
    throw error;
  }
  if (error instanceof Permanent || error instanceof SessionExpired) {
    if (error.code === LIST_LIMIT_REACHED) {
      await completeCrawl(context, crawl, 'list_limit');
      return { skipped: 'completed: upstream list limit reached' };
    }
    await failCrawl(context, crawl, error.code ?? 'permanent', error.message);
    // Failed in Redis too (for Bull Board), and never retried: the same request gets the same answer.
    throw new JobFailed(error.message);
  }

  // Transient upstream errors and anything unexpected (Postgres restarting, a bug): the runner
  // retries with backoff from the checkpoint. The last attempt records the reason on the crawl.
  if (run.isLastAttempt) {
    try {
      await failCrawl(context, crawl, errorCode(error), error.message);
    } catch (e) {
      // The crawl stays `running` with a failed job; the reconciler replaces that job later.
      context.logger.error({ err: toError(e), crawlId: crawl.id }, 'could not record the crawl failure');
    }
  }
  throw error;
}

function errorCode(error: Error): string {
  if (!(error instanceof UpstreamError)) return 'internal_error';
  if (error.code !== undefined) return error.code;
  return error.httpStatus === undefined ? 'network_error' : `http_${error.httpStatus}`;
}
