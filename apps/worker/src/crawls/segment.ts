import { advanceCrawlSegment, applyCrawlPage, type CrawlCheckpointRow, type CrawlCheckpointState, type CrawlRow } from '@pubcrawl/db';
import { enqueueCrawl } from '@pubcrawl/queue';
import type { CrawlFinishReason } from '@pubcrawl/domain';
import { RateLimited } from '@pubcrawl/tiktok';
import type { WorkerContext } from '../context';
import type { WorkerEnv } from '../env';
import { rescheduleAt, type Rescheduled } from '../job-contract';
import { fetchCrawlPage, type CrawlSource, type FetchedPage } from './fetch-page';
import { completeCrawl, failCrawl, parkCrawlForReauth } from './outcomes';
import { askQuotaEarly, takeQuotaTurn, type EarlyDecision } from './quota';
import { resolveCrawlSource, type QuotaRequest } from './source';
import { toError } from '@pubcrawl/errors';

/** How long a job that yields without progress (shutdown, a starved time budget) waits to run again. */
const EMPTY_YIELD_DELAY_MS = 1_000;

export interface SegmentSummary {
  /** completed / failed / reauth_required: the crawl's new status. yielded: the next segment is enqueued. */
  outcome: 'completed' | 'failed' | 'reauth_required' | 'yielded' | 'stepped_aside';
  /** Pages this job fetched and committed. */
  fetched: number;
  pages: number;
  items: number;
}

/**
 * Why a crawl is done, judged from its checkpoint alone, so a crawl that died right after its last
 * page completes on the next run without another request.
 */
export function finishReasonFor(crawl: Pick<CrawlRow, 'maxItems' | 'maxPages'>, state: Pick<CrawlCheckpointState, 'hasMore' | 'pages' | 'items'>): CrawlFinishReason | null {
  if (!state.hasMore) return 'exhausted';
  if (crawl.maxItems !== null && state.items >= crawl.maxItems) return 'max_items';
  if (crawl.maxPages !== null && state.pages >= crawl.maxPages) return 'max_pages';
  return null;
}

/**
 * Whether the loop will fetch another page after committing `page`: no limit reached, more upstream,
 * segment budget left, no shutdown. Conservative on purpose (a page might insert fewer items than it
 * lists), because a token asked for early and then not used is quota lost.
 */
function willFetchAgain(
  crawl: Pick<CrawlRow, 'maxItems' | 'maxPages'>,
  state: CrawlCheckpointState,
  page: FetchedPage,
  fetched: number,
  startedAt: number,
  env: Pick<WorkerEnv, 'CRAWL_SEGMENT_PAGES' | 'CRAWL_SEGMENT_MS'>,
  signal: AbortSignal,
): boolean {
  const listed = page.rows.kind === 'followers' ? page.rows.users.length : page.rows.kind === 'videos' ? page.rows.videos.length : 0;
  if (!page.next.hasMore || signal.aborted) return false;
  if (crawl.maxPages !== null && state.pages + 1 >= crawl.maxPages) return false;
  if (crawl.maxItems !== null && state.items + listed >= crawl.maxItems) return false;
  // The time budget is checked again after the commit; a margin keeps that check from failing.
  return fetched + 1 < env.CRAWL_SEGMENT_PAGES && Date.now() - startedAt < env.CRAWL_SEGMENT_MS - 1_000;
}

/**
 * One segment of a crawl: pages in sequence from the checkpoint, each committed with its checkpoint,
 * until the crawl ends or the segment's budget (CRAWL_SEGMENT_PAGES pages or CRAWL_SEGMENT_MS) runs
 * out or the process is shutting down. Then it hands over to the next segment's job and returns, so
 * no job holds a crawl for long: a deploy waits for at most one page, and a crash loses at most the
 * page in flight.
 *
 * Upstream errors other than 429 are thrown to the processor, which knows the attempt count.
 */
export async function runCrawlSegment(context: WorkerContext, crawl: CrawlRow, checkpoint: CrawlCheckpointRow): Promise<SegmentSummary | Rescheduled> {
  const signal = context.shutdown.signal;
  const scope = context.tikapi.quotaScope;
  const segmentPages = checkpoint.segmentPages;
  const startedAt = Date.now();
  let fetched = 0;
  let state: CrawlCheckpointState = { cursor: checkpoint.cursor, hasMore: checkpoint.hasMore, pages: checkpoint.pages, items: checkpoint.items };
  const summary = (outcome: SegmentSummary['outcome']): SegmentSummary => ({ outcome, fetched, pages: state.pages, items: state.items });

  // The next page's quota decision, when it was asked for while the previous page committed.
  let early: Promise<EarlyDecision> | null = null;
  const request: QuotaRequest = async (send) => {
    for (;;) {
      const turn = await takeQuotaTurn(context.limiter, scope, signal, early);
      early = null;
      if (turn === 'shutdown') return null;
      try {
        return await send();
      } catch (e) {
        const error = toError(e);
        if (!(error instanceof RateLimited)) throw error;
        // Fleet-wide: every process's next acquire on this key waits out the Retry-After, so one 429
        // does not turn into a storm. The next turn sleeps through a short block, or moves the job to
        // delayed for a long one; neither spends an attempt.
        await context.limiter.block(error.scope ?? scope, error.retryAfterMs);
      }
    }
  };

  const yieldSegment = async (): Promise<SegmentSummary | Rescheduled> => {
    if (state.pages === segmentPages) {
      // Nothing committed since this segment began, so the next segment would carry this job's own
      // id and the enqueue would be a no-op: the crawl would be left without a job (until the
      // reconciler noticed). Hand this job itself back instead, spending no attempt.
      return rescheduleAt(Date.now() + EMPTY_YIELD_DELAY_MS, 'segment yielded before its first page');
    }
    const next = await advanceCrawlSegment(context.db.db, { crawlId: crawl.id, generation: crawl.generation, segmentPages });
    if (next === null) return summary('stepped_aside');
    await enqueueCrawl(context.queues, crawl, next);
    return summary('yielded');
  };

  const done = finishReasonFor(crawl, state);
  if (done !== null) return (await completeCrawl(context, crawl, done)) === null ? summary('stepped_aside') : summary('completed');

  const resolution = await resolveCrawlSource(context, crawl, request);
  switch (resolution.kind) {
    case 'shutdown':
      return yieldSegment();
    case 'failed':
      await failCrawl(context, crawl, resolution.code, resolution.message);
      return summary('failed');
    case 'reauth_required':
      await parkCrawlForReauth(context, crawl, resolution.accountId, resolution.reason);
      return summary('reauth_required');
    case 'source':
      break;
  }
  let source: CrawlSource = resolution.source;

  for (;;) {
    const reason = finishReasonFor(crawl, state);
    if (reason !== null) return (await completeCrawl(context, crawl, reason)) === null ? summary('stepped_aside') : summary('completed');
    if (signal.aborted || fetched >= context.env.CRAWL_SEGMENT_PAGES || Date.now() - startedAt >= context.env.CRAWL_SEGMENT_MS) return yieldSegment();

    const cursor = state.cursor;
    // Without the shutdown signal on purpose: a page already asked for is worth finishing and
    // committing; SHUTDOWN_GRACE_MS leaves room for it.
    const page = await request(() => fetchCrawlPage(context.tikapi, source, cursor));
    if (page === null) return yieldSegment();
    if (willFetchAgain(crawl, state, page, fetched, startedAt, context.env, signal)) early = askQuotaEarly(context.limiter, scope);
    const applied = await applyCrawlPage(context.db.db, {
      guard: { crawlId: crawl.id, generation: crawl.generation, pages: state.pages, segmentPages },
      rows: page.rows,
      next: page.next,
      maxNewItems: crawl.maxItems === null ? null : crawl.maxItems - state.items,
      resolvedId: page.resolvedId,
    });
    // Someone else committed this page (or the crawl was cancelled or resumed): they own it now.
    if (!applied.applied) return summary('stepped_aside');
    fetched += 1;
    state = applied.checkpoint;
    if (page.resolvedId !== null && source.kind === 'hashtag') source = { kind: 'hashtag', id: page.resolvedId, name: null };
  }
}
