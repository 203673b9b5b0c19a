import { crawlStatusesBefore, type CrawlFinishReason, type CrawlStatus } from '@pubcrawl/domain';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Executor } from '../client';
import { accounts, crawlCheckpoints, crawls } from '../schema';
import { afterCursorDesc, decodeCursor, pageOf } from './pagination';
import type { CrawlCheckpointRow, CrawlRow } from './crawls';

/**
 * Every crawl status change is one guarded UPDATE: it names the statuses it may leave (from the state
 * machine in @pubcrawl/domain) and, for worker-driven changes, the generation the worker runs, so a
 * stale job from before a resume can never finish or fail the resumed crawl.
 */

/** The job's claim on the crawl: queued or running → running. Null when the crawl moved on. */
export async function startCrawlRun(executor: Executor, crawlId: string, generation: number): Promise<CrawlRow | null> {
  const [row] = await executor
    .update(crawls)
    .set({ status: 'running', startedAt: sql`coalesce(${crawls.startedAt}, now())` })
    .where(and(eq(crawls.id, crawlId), eq(crawls.generation, generation), inArray(crawls.status, ['queued', 'running'])))
    .returning();
  return row ?? null;
}

/** Stores the secUid a username resolved to, once, so no later segment asks again. */
export async function recordCrawlResolvedId(executor: Executor, crawlId: string, generation: number, resolvedId: string): Promise<boolean> {
  const rows = await executor
    .update(crawls)
    .set({ resolvedId })
    .where(and(eq(crawls.id, crawlId), eq(crawls.generation, generation), eq(crawls.status, 'running')))
    .returning({ id: crawls.id });
  return rows.length > 0;
}

export interface SegmentGuard {
  crawlId: string;
  generation: number;
  segmentPages: number;
}

/**
 * Hands the crawl to the next segment: `segment_pages` becomes the current page count, which names
 * the job to enqueue next. Returns that page count, or null when this job no longer owns the crawl.
 */
export async function advanceCrawlSegment(executor: Executor, guard: SegmentGuard): Promise<number | null> {
  const result = await executor.execute<{ pages: number }>(sql`
    update crawl_checkpoints cp
       set segment_pages = cp.pages, updated_at = now()
      from crawls c
     where cp.crawl_id = ${guard.crawlId}
       and cp.segment_pages = ${guard.segmentPages}
       and c.id = cp.crawl_id
       and c.generation = ${guard.generation}
       and c.status = 'running'
    returning cp.pages`);
  return result.rows[0]?.pages ?? null;
}

export type CrawlOutcome =
  | { status: 'completed'; finishReason: CrawlFinishReason }
  | { status: 'failed'; errorCode: string; errorMessage: string }
  | { status: 'reauth_required'; errorCode: string; errorMessage: string };

/** Ends (or parks) the running crawl of `generation`. Null when it was not running that generation. */
export async function finishCrawl(executor: Executor, crawlId: string, generation: number, outcome: CrawlOutcome): Promise<CrawlRow | null> {
  const final = outcome.status !== 'reauth_required';
  const [row] = await executor
    .update(crawls)
    .set({
      status: outcome.status,
      finishReason: outcome.status === 'completed' ? outcome.finishReason : null,
      errorCode: outcome.status === 'completed' ? null : outcome.errorCode,
      errorMessage: outcome.status === 'completed' ? null : outcome.errorMessage,
      finishedAt: final ? new Date() : null,
    })
    .where(and(eq(crawls.id, crawlId), eq(crawls.generation, generation), inArray(crawls.status, crawlStatusesBefore(outcome.status))))
    .returning();
  return row ?? null;
}

/** queued|running|reauth_required → cancelled. A running job notices at its next page and stops. */
export async function cancelCrawl(executor: Executor, crawlId: string): Promise<CrawlRow | null> {
  const [row] = await executor
    .update(crawls)
    .set({ status: 'cancelled', finishedAt: new Date() })
    .where(and(eq(crawls.id, crawlId), inArray(crawls.status, crawlStatusesBefore('cancelled'))))
    .returning();
  return row ?? null;
}

/**
 * Puts crawls back in the queue from their checkpoint: a new generation (so the old generation's
 * jobs, wherever they are, step aside) and a segment named after the current page count. Run it in a
 * transaction; enqueue each returned crawl at `segmentPages` after commit.
 */
export async function requeueCrawls(
  tx: Executor,
  where: { crawlId: string } | { accountId: string },
  from: readonly CrawlStatus[],
): Promise<Array<{ crawl: CrawlRow; checkpoint: CrawlCheckpointRow }>> {
  const allowed = from.filter((status) => crawlStatusesBefore('queued').includes(status));
  if (allowed.length === 0) return [];
  const requeued = await tx
    .update(crawls)
    .set({
      status: 'queued',
      generation: sql`${crawls.generation} + 1`,
      errorCode: null,
      errorMessage: null,
      finishReason: null,
      finishedAt: null,
    })
    .where(and('crawlId' in where ? eq(crawls.id, where.crawlId) : eq(crawls.accountId, where.accountId), inArray(crawls.status, allowed)))
    .returning();
  if (requeued.length === 0) return [];
  const checkpoints = await tx
    .update(crawlCheckpoints)
    .set({ segmentPages: sql`${crawlCheckpoints.pages}` })
    .where(inArray(crawlCheckpoints.crawlId, requeued.map((crawl) => crawl.id)))
    .returning();
  const byId = new Map(checkpoints.map((checkpoint) => [checkpoint.crawlId, checkpoint]));
  return requeued.flatMap((crawl) => {
    const checkpoint = byId.get(crawl.id);
    return checkpoint === undefined ? [] : [{ crawl, checkpoint }];
  });
}

/**
 * active → reauth_required, for the account a crawl got a 428 on. Returns the row only when this call
 * made the change, so the `account.reauth_required` event is recorded once per expiry.
 */
export async function markAccountReauthRequired(executor: Executor, accountId: string, reason: string): Promise<typeof accounts.$inferSelect | null> {
  const [row] = await executor
    .update(accounts)
    .set({ status: 'reauth_required', reauthReason: reason, reauthRequiredAt: new Date() })
    .where(and(eq(accounts.id, accountId), eq(accounts.status, 'active')))
    .returning();
  return row ?? null;
}

/** GET /v1/crawls: newest first, keyset on (created_at, id), optionally one status. */
export async function listCrawls(
  executor: Executor,
  query: { status?: CrawlStatus | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: Array<{ crawl: CrawlRow; checkpoint: CrawlCheckpointRow | null }>; nextCursor: string | null } | null> {
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  if (query.cursor !== undefined && after === null) return null;
  const rows = await executor
    .select({ crawl: crawls, checkpoint: crawlCheckpoints, createdAt: crawls.createdAt, id: crawls.id })
    .from(crawls)
    .leftJoin(crawlCheckpoints, eq(crawlCheckpoints.crawlId, crawls.id))
    .where(and(query.status === undefined ? undefined : eq(crawls.status, query.status), after === null ? undefined : afterCursorDesc(crawls.createdAt, crawls.id, after)))
    .orderBy(desc(crawls.createdAt), desc(crawls.id))
    .limit(query.limit + 1);
  const page = pageOf(rows, query.limit);
  return { items: page.items.map(({ crawl, checkpoint }) => ({ crawl, checkpoint })), nextCursor: page.nextCursor };
}

export interface ActiveCrawlSegment {
  id: string;
  kind: CrawlRow['kind'];
  generation: number;
  segmentPages: number;
}

/** Queued and running crawls with the segment whose job should exist; for the reconciler. */
export async function activeCrawlSegments(executor: Executor, limit: number): Promise<ActiveCrawlSegment[]> {
  return executor
    .select({ id: crawls.id, kind: crawls.kind, generation: crawls.generation, segmentPages: crawlCheckpoints.segmentPages })
    .from(crawls)
    .innerJoin(crawlCheckpoints, eq(crawlCheckpoints.crawlId, crawls.id))
    .where(inArray(crawls.status, ['queued', 'running']))
    .orderBy(crawls.createdAt)
    .limit(limit);
}
