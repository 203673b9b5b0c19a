import type { CreateCrawlBody, CrawlResponse } from '@pubcrawl/contracts';
import { eq } from 'drizzle-orm';
import type { Executor } from '../client';
import { crawlCheckpoints, crawls } from '../schema';

export type CrawlRow = typeof crawls.$inferSelect;
export type CrawlCheckpointRow = typeof crawlCheckpoints.$inferSelect;

const UNIQUE_VIOLATION = '23505';

export interface CrawlOrigin {
  scheduleId?: string;
  fireTime?: Date;
}

/**
 * Inserts a crawl and its empty checkpoint. With a schedule origin, the (schedule, fire time) pair
 * is unique: a second insert for the same tick returns null instead of creating a twin.
 */
export async function insertCrawl(tx: Executor, body: CreateCrawlBody, origin: CrawlOrigin = {}): Promise<CrawlRow | null> {
  const rows = await tx
    .insert(crawls)
    .values({
      kind: body.kind,
      target: body.target,
      // A target given by id is already resolved; a username or hashtag name is resolved once, later.
      resolvedId: 'secUid' in body.target ? body.target.secUid : 'id' in body.target ? body.target.id : null,
      accountId: body.kind === 'followers' ? (body.accountId ?? null) : null,
      maxItems: body.kind === 'profile' ? null : (body.maxItems ?? null),
      maxPages: body.kind === 'profile' ? null : (body.maxPages ?? null),
      scheduleId: origin.scheduleId ?? null,
      fireTime: origin.fireTime ?? null,
    })
    .onConflictDoNothing()
    .returning();
  const crawl = rows[0];
  if (!crawl) return null;
  await tx.insert(crawlCheckpoints).values({ crawlId: crawl.id });
  return crawl;
}

export async function findCrawl(executor: Executor, crawlId: string): Promise<{ crawl: CrawlRow; checkpoint: CrawlCheckpointRow | null } | null> {
  const [row] = await executor
    .select({ crawl: crawls, checkpoint: crawlCheckpoints })
    .from(crawls)
    .leftJoin(crawlCheckpoints, eq(crawlCheckpoints.crawlId, crawls.id))
    .where(eq(crawls.id, crawlId));
  return row ?? null;
}

/** The API's view of a crawl; shared by /v1/crawls and /v1/schedules/:id/runs. */
export function crawlView(crawl: CrawlRow, checkpoint: CrawlCheckpointRow | null): CrawlResponse {
  const target: Record<string, string> = {};
  if (crawl.target && typeof crawl.target === 'object') {
    for (const [key, value] of Object.entries(crawl.target)) if (typeof value === 'string') target[key] = value;
  }
  return {
    id: crawl.id,
    kind: crawl.kind,
    target,
    resolvedId: crawl.resolvedId,
    accountId: crawl.accountId,
    maxItems: crawl.maxItems,
    maxPages: crawl.maxPages,
    status: crawl.status,
    pages: crawl.pages,
    items: crawl.items,
    cursor: checkpoint?.cursor ?? null,
    finishReason: crawl.finishReason,
    error: crawl.errorCode || crawl.errorMessage ? { code: crawl.errorCode, message: crawl.errorMessage } : null,
    scheduleId: crawl.scheduleId,
    fireTime: crawl.fireTime?.toISOString() ?? null,
    startedAt: crawl.startedAt?.toISOString() ?? null,
    finishedAt: crawl.finishedAt?.toISOString() ?? null,
    createdAt: crawl.createdAt.toISOString(),
    updatedAt: crawl.updatedAt.toISOString(),
  };
}

/**
 * True when Postgres refused a write on a unique index (optionally a given one). drizzle wraps
 * driver errors in DrizzleQueryError with the pg error as `cause`, so the cause chain is searched.
 */
export function isUniqueViolation(caught: unknown, constraint?: string): boolean {
  let current: unknown = caught;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    if ('code' in current && current.code === UNIQUE_VIOLATION) {
      return constraint === undefined || ('constraint' in current && current.constraint === constraint);
    }
    current = 'cause' in current ? current.cause : undefined;
  }
  return false;
}
