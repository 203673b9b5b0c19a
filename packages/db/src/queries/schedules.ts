import { compileCron } from '@pubcrawl/scheduling';
import { ACTIVE_CRAWL_STATUSES, MAX_WAITING_RUNS } from '@pubcrawl/domain';
import { createCrawlBodySchema, type CreateCrawlBody, type CreateScheduleBody, type ScheduleResponse, type ScheduleRunResponse, type UpdateScheduleBody } from '@pubcrawl/contracts';
import { and, asc, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Database, Executor, Transaction } from '../client';
import { crawlCheckpoints, crawls, scheduleRuns, schedules } from '../schema';
import { crawlView, findCrawl, insertCrawl, type CrawlRow } from './crawls';
import { afterCursorDesc, decodeCursor, encodeCursor, pageOf } from './pagination';

export type ScheduleRow = typeof schedules.$inferSelect;
export type ScheduleRunRow = typeof scheduleRuns.$inferSelect;

// ---------------------------------------------------------------------------------------------
// CRUD (the API)
// ---------------------------------------------------------------------------------------------

export async function insertSchedule(executor: Executor, body: CreateScheduleBody): Promise<ScheduleRow> {
  const [row] = await executor
    .insert(schedules)
    .values({
      name: body.name,
      cron: body.cron,
      timezone: body.timezone,
      crawlSpec: body.crawl,
      enabled: body.enabled,
      overlap: body.overlap,
      catchUp: body.catchUp,
    })
    .returning();
  if (!row) throw new Error('insert into schedules returned no row');
  return row;
}

export async function findSchedule(executor: Executor, scheduleId: string): Promise<ScheduleRow | null> {
  const [row] = await executor.select().from(schedules).where(eq(schedules.id, scheduleId));
  return row ?? null;
}

/** GET /v1/schedules: newest first, keyset on (created_at, id). Null when the cursor is not ours. */
export async function listSchedules(
  executor: Executor,
  query: { limit: number; cursor?: string | undefined },
): Promise<{ items: ScheduleRow[]; nextCursor: string | null } | null> {
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  if (query.cursor !== undefined && after === null) return null;
  const rows = await executor
    .select()
    .from(schedules)
    .where(after === null ? undefined : afterCursorDesc(schedules.createdAt, schedules.id, after))
    .orderBy(desc(schedules.createdAt), desc(schedules.id))
    .limit(query.limit + 1);
  return pageOf(rows, query.limit);
}

/**
 * Applies a PATCH. `updated_at` moves (drizzle's $onUpdate), which also tells catch-up that ticks
 * before the edit belonged to the old definition and are not to be caught up.
 */
export async function updateSchedule(executor: Executor, scheduleId: string, patch: UpdateScheduleBody): Promise<ScheduleRow | null> {
  const [row] = await executor
    .update(schedules)
    .set({
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.cron === undefined ? {} : { cron: patch.cron }),
      ...(patch.timezone === undefined ? {} : { timezone: patch.timezone }),
      ...(patch.crawl === undefined ? {} : { crawlSpec: patch.crawl }),
      ...(patch.enabled === undefined ? {} : { enabled: patch.enabled }),
      ...(patch.overlap === undefined ? {} : { overlap: patch.overlap }),
      ...(patch.catchUp === undefined ? {} : { catchUp: patch.catchUp }),
    })
    .where(eq(schedules.id, scheduleId))
    .returning();
  return row ?? null;
}

/** Deletes the schedule and (cascade) its runs; its crawls stay, with schedule_id set to null. */
export async function deleteSchedule(executor: Executor, scheduleId: string): Promise<boolean> {
  const rows = await executor.delete(schedules).where(eq(schedules.id, scheduleId)).returning({ id: schedules.id });
  return rows.length > 0;
}

/** The stored crawl body, checked again: jsonb is a boundary, and the crawl schema may have moved on. */
export function scheduleCrawlSpec(schedule: ScheduleRow): { ok: true; body: CreateCrawlBody } | { ok: false; problem: string } {
  const parsed = createCrawlBodySchema.safeParse(schedule.crawlSpec);
  if (parsed.success) return { ok: true, body: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, problem: `${issue?.path.join('.') || 'crawl'}: ${issue?.message ?? 'invalid'}` };
}

/** The API's view of a schedule; `nextRunAt` comes from the caller, which owns the cron arithmetic. */
export function scheduleView(schedule: ScheduleRow, nextRunAt: Date | null): ScheduleResponse {
  const spec = scheduleCrawlSpec(schedule);
  if (!spec.ok) throw new Error(`schedule ${schedule.id} has a crawl spec the crawl schema no longer accepts (${spec.problem})`);
  return {
    id: schedule.id,
    name: schedule.name,
    cron: schedule.cron,
    timezone: schedule.timezone,
    crawl: spec.body,
    enabled: schedule.enabled,
    overlap: schedule.overlap,
    catchUp: schedule.catchUp,
    lastFiredAt: schedule.lastFiredAt?.toISOString() ?? null,
    nextRunAt: nextRunAt?.toISOString() ?? null,
    createdAt: schedule.createdAt.toISOString(),
    updatedAt: schedule.updatedAt.toISOString(),
  };
}

/**
 * GET /v1/schedules/:id/runs: every tick the schedule handled, newest fire time first, with the
 * crawl it created (none for skipped ticks, nor for queued ones still waiting). Keyset on
 * (fire_time, id); the unique (schedule_id, fire_time) index serves it. Null for a foreign cursor.
 */
export async function listScheduleRuns(
  executor: Executor,
  scheduleId: string,
  query: { limit: number; cursor?: string | undefined },
): Promise<{ items: ScheduleRunResponse[]; nextCursor: string | null } | null> {
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  if (query.cursor !== undefined && after === null) return null;
  const rows = await executor
    .select({ run: scheduleRuns, crawl: crawls, checkpoint: crawlCheckpoints })
    .from(scheduleRuns)
    .leftJoin(crawls, eq(crawls.id, scheduleRuns.crawlId))
    .leftJoin(crawlCheckpoints, eq(crawlCheckpoints.crawlId, crawls.id))
    .where(and(eq(scheduleRuns.scheduleId, scheduleId), after === null ? undefined : afterCursorDesc(scheduleRuns.fireTime, scheduleRuns.id, after)))
    .orderBy(desc(scheduleRuns.fireTime), desc(scheduleRuns.id))
    .limit(query.limit + 1);
  const items = rows.slice(0, query.limit);
  const last = items[items.length - 1];
  return {
    items: items.map(({ run, crawl, checkpoint }) => scheduleRunView(run, crawl ? crawlView(crawl, checkpoint) : null)),
    // The cursor's timestamp slot carries the fire time here: the order this list is kept in.
    nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.run.fireTime, id: last.run.id }) : null,
  };
}

/** One run with its crawl, as GET /v1/schedules/:id/runs shows it. */
export async function findScheduleRun(executor: Executor, runId: string): Promise<ScheduleRunResponse | null> {
  const [row] = await executor
    .select({ run: scheduleRuns, crawl: crawls, checkpoint: crawlCheckpoints })
    .from(scheduleRuns)
    .leftJoin(crawls, eq(crawls.id, scheduleRuns.crawlId))
    .leftJoin(crawlCheckpoints, eq(crawlCheckpoints.crawlId, crawls.id))
    .where(eq(scheduleRuns.id, runId));
  return row ? scheduleRunView(row.run, row.crawl ? crawlView(row.crawl, row.checkpoint) : null) : null;
}

export function scheduleRunView(run: ScheduleRunRow, crawl: ScheduleRunResponse['crawl']): ScheduleRunResponse {
  return {
    id: run.id,
    scheduleId: run.scheduleId,
    fireTime: run.fireTime.toISOString(),
    outcome: run.outcome,
    reason: run.reason,
    crawl,
    createdAt: run.createdAt.toISOString(),
  };
}

// ---------------------------------------------------------------------------------------------
// Firing (the scheduler, and POST /v1/schedules/:id/run)
// ---------------------------------------------------------------------------------------------

/** What fired: a node-cron tick, the catch-up of a tick missed while no scheduler ran, or a person. */
export type ScheduleTrigger = 'tick' | 'catch_up' | 'manual';

export interface ScheduleTick {
  scheduleId: string;
  /** The tick's nominal time, whole seconds: with the schedule id, the run's identity. */
  fireTime: Date;
  trigger: ScheduleTrigger;
}

export type FireResult =
  /** This call claimed the tick. `crawl` is set when the run started: enqueue it after commit. */
  | { fired: true; run: ScheduleRunRow; crawl: CrawlRow | null }
  /** Nothing was written. `run` is the existing claim when the tick was already claimed. */
  | { fired: false; reason: 'not_found' | 'disabled' | 'changed' | 'already_claimed'; run: ScheduleRunRow | null };

/** Starts the reason of a run that did not start, so a skipped catch-up or manual run says so. */
const REASON_PREFIX = { tick: '', catch_up: 'catch-up: ', manual: 'manual run: ' } as const;

/**
 * Fires one tick, exactly once however many replicas (and API calls) fire it, in one transaction:
 *
 * 1. `SELECT … FOR UPDATE` on the schedule serialises every fire of this schedule, so the overlap
 *    check below cannot race another tick, a catch-up or a manual run into two active crawls.
 * 2. Cron ticks and catch-ups need an enabled schedule, and a fire time that is a tick of its
 *    current definition (manual runs need neither).
 * 3. The schedule_runs row is the claim: unique (schedule_id, fire_time), inserted ON CONFLICT DO
 *    NOTHING. Only the caller that inserts it continues; the others get `already_claimed`.
 * 4. Overlap: a previous run still queued or running (or a queued run still waiting its turn) makes
 *    this run `skipped` (policy skip) or `queued` (policy queue: it gets its crawl later, from
 *    `startWaitingRun`; `skipped` once MAX_WAITING_RUNS wait). Otherwise the crawl is inserted
 *    under the same identity and the run starts.
 * 5. `last_fired_at` moves forward for cron ticks (not manual runs): it is what catch-up reads.
 *
 * A crash anywhere before commit rolls everything back and another replica's claim goes through; a
 * crash after commit but before the caller's enqueue leaves a queued crawl without a job, which the
 * crawl reconciler re-enqueues.
 */
export async function fireSchedule(db: Database, tick: ScheduleTick): Promise<FireResult> {
  return db.transaction(async (tx) => {
    const [schedule] = await tx.select().from(schedules).where(eq(schedules.id, tick.scheduleId)).for('update');
    if (!schedule) return { fired: false, reason: 'not_found', run: null };
    if (tick.trigger !== 'manual') {
      if (!schedule.enabled) return { fired: false, reason: 'disabled', run: null };
      // A replica that has not reloaded an edit yet still runs the old definition's task. Its
      // ticks (and catch-ups computed from the old definition) only fire if they are ticks of the
      // schedule as it is now; a time both definitions share goes through, so no tick is lost.
      if (!isTickOf(schedule, tick.fireTime)) return { fired: false, reason: 'changed', run: null };
    }
    // With the schedule locked, a claim committed by another replica is visible here; checking first
    // spares the loser the overlap queries. The insert's ON CONFLICT below is the actual guarantee.
    const existing = await findRun(tx, schedule.id, tick.fireTime);
    if (existing) return { fired: false, reason: 'already_claimed', run: existing };

    const blocker = await previousRunStillActive(tx, schedule.id);
    const spec = scheduleCrawlSpec(schedule);
    const prefix = REASON_PREFIX[tick.trigger];
    let outcome: ScheduleRunRow['outcome'];
    let reason: string | null;
    if (blocker && schedule.overlap === 'queue' && (await waitingRunCount(tx, schedule.id)) >= MAX_WAITING_RUNS) {
      outcome = 'skipped';
      reason = `${prefix}${MAX_WAITING_RUNS} runs are already waiting their turn (${blocker})`;
    } else if (blocker) {
      outcome = schedule.overlap === 'skip' ? 'skipped' : 'queued';
      reason = `${prefix}${blocker}`;
    } else if (!spec.ok) {
      outcome = 'skipped';
      reason = `${prefix}the schedule's crawl is not a valid crawl (${spec.problem})`;
    } else {
      outcome = 'started';
      reason = tick.trigger === 'catch_up' ? 'catch-up of a tick missed while no scheduler ran' : tick.trigger === 'manual' ? 'manual run' : null;
    }

    const [claimed] = await tx
      .insert(scheduleRuns)
      .values({ scheduleId: schedule.id, fireTime: tick.fireTime, outcome, reason })
      .onConflictDoNothing()
      .returning();
    if (!claimed) return { fired: false, reason: 'already_claimed', run: await findRun(tx, schedule.id, tick.fireTime) };

    let run = claimed;
    let crawl: CrawlRow | null = null;
    if (outcome === 'started' && spec.ok) {
      crawl = await insertRunCrawl(tx, schedule.id, tick.fireTime, spec.body);
      run = await linkRunToCrawl(tx, run, crawl);
    }
    if (tick.trigger !== 'manual') {
      await tx
        .update(schedules)
        .set({
          lastFiredAt: sql`greatest(${schedules.lastFiredAt}, ${tick.fireTime.toISOString()}::timestamptz)`,
          // Keep updated_at: it means "the definition changed" (catch-up and the API read it so).
          updatedAt: sql`${schedules.updatedAt}`,
        })
        .where(eq(schedules.id, schedule.id));
    }
    return { fired: true, run, crawl };
  });
}

/**
 * Gives the oldest waiting run of an `overlap: queue` schedule its crawl, once nothing of the
 * schedule is queued or running any more. Same lock as `fireSchedule`, so two replicas cannot both
 * start a waiting run. Returns the crawl to enqueue after commit, or null if nothing was due.
 *
 * Waiting runs get no crawl row until their turn on purpose: a queued crawl row is, to the crawl
 * reconciler, a crawl that lost its job, and it would be enqueued at once, overlapping.
 */
export async function startWaitingRun(db: Database, scheduleId: string): Promise<{ run: ScheduleRunRow; crawl: CrawlRow | null } | null> {
  return db.transaction(async (tx) => {
    const [schedule] = await tx.select().from(schedules).where(eq(schedules.id, scheduleId)).for('update');
    if (!schedule) return null;
    if (await activeCrawlOf(tx, schedule.id)) return null;
    const [waiting] = await tx
      .select()
      .from(scheduleRuns)
      .where(and(eq(scheduleRuns.scheduleId, schedule.id), eq(scheduleRuns.outcome, 'queued'), isNull(scheduleRuns.crawlId)))
      .orderBy(asc(scheduleRuns.fireTime))
      .limit(1);
    if (!waiting) return null;
    const spec = scheduleCrawlSpec(schedule);
    if (!spec.ok) {
      const [skipped] = await tx
        .update(scheduleRuns)
        .set({ outcome: 'skipped', reason: `the schedule's crawl is not a valid crawl (${spec.problem})` })
        .where(eq(scheduleRuns.id, waiting.id))
        .returning();
      return { run: skipped ?? waiting, crawl: null };
    }
    const crawl = await insertRunCrawl(tx, schedule.id, waiting.fireTime, spec.body);
    return { run: await linkRunToCrawl(tx, waiting, crawl), crawl };
  });
}

/** Schedules with a queued run still waiting for its crawl (served by schedule_runs_waiting_idx). */
export async function schedulesWithWaitingRuns(executor: Executor): Promise<string[]> {
  const rows = await executor
    .selectDistinct({ scheduleId: scheduleRuns.scheduleId })
    .from(scheduleRuns)
    .where(and(eq(scheduleRuns.outcome, 'queued'), isNull(scheduleRuns.crawlId)));
  return rows.map((row) => row.scheduleId);
}

export interface EnabledSchedule {
  id: string;
  cron: string;
  timezone: string;
  catchUp: ScheduleRow['catchUp'];
  lastFiredAt: Date | null;
  updatedAt: Date;
}

/** What the scheduler registers: every enabled schedule's timing. */
export async function enabledSchedules(executor: Executor): Promise<EnabledSchedule[]> {
  return executor
    .select({
      id: schedules.id,
      cron: schedules.cron,
      timezone: schedules.timezone,
      catchUp: schedules.catchUp,
      lastFiredAt: schedules.lastFiredAt,
      updatedAt: schedules.updatedAt,
    })
    .from(schedules)
    .where(eq(schedules.enabled, true))
    .orderBy(asc(schedules.id));
}

/**
 * A digest of exactly what the scheduler registers (id, cron, timezone of the enabled schedules).
 * Polled every couple of seconds: one small aggregate that changes on every create, delete,
 * enable, disable and timing edit, and not on the scheduler's own last_fired_at writes nor on
 * edits that the fire path reads fresh anyway (crawl, overlap, name). It compares values, not
 * updated_at, so API servers with skewed clocks cannot hide an edit.
 */
export async function enabledSchedulesDigest(executor: Executor): Promise<string> {
  const result = await executor.execute<{ digest: string | null }>(sql`
    select md5(string_agg(${schedules.id}::text || ' ' || ${schedules.cron} || ' ' || ${schedules.timezone}, ',' order by ${schedules.id})) as digest
      from ${schedules}
     where ${schedules.enabled}`);
  return result.rows[0]?.digest ?? 'none';
}

// ---------------------------------------------------------------------------------------------

function isTickOf(schedule: ScheduleRow, fireTime: Date): boolean {
  try {
    return compileCron(schedule.cron, schedule.timezone).matches(fireTime);
  } catch {
    // A stored expression the current node-cron rejects cannot have fired anything.
    return false;
  }
}

async function findRun(tx: Transaction, scheduleId: string, fireTime: Date): Promise<ScheduleRunRow | null> {
  const [row] = await tx
    .select()
    .from(scheduleRuns)
    .where(and(eq(scheduleRuns.scheduleId, scheduleId), eq(scheduleRuns.fireTime, fireTime)));
  return row ?? null;
}

async function activeCrawlOf(tx: Transaction, scheduleId: string): Promise<Pick<CrawlRow, 'id' | 'status'> | null> {
  const [row] = await tx
    .select({ id: crawls.id, status: crawls.status })
    .from(crawls)
    .where(and(eq(crawls.scheduleId, scheduleId), inArray(crawls.status, [...ACTIVE_CRAWL_STATUSES])))
    .limit(1);
  return row ?? null;
}

/** Why the previous run blocks a new one, or null when nothing of the schedule is still active. */
async function previousRunStillActive(tx: Transaction, scheduleId: string): Promise<string | null> {
  const active = await activeCrawlOf(tx, scheduleId);
  if (active) return `the previous run's crawl ${active.id} is still ${active.status}`;
  const [waiting] = await tx
    .select({ fireTime: scheduleRuns.fireTime })
    .from(scheduleRuns)
    .where(and(eq(scheduleRuns.scheduleId, scheduleId), eq(scheduleRuns.outcome, 'queued'), isNull(scheduleRuns.crawlId)))
    .orderBy(asc(scheduleRuns.fireTime))
    .limit(1);
  if (waiting) return `the run of ${waiting.fireTime.toISOString()} is still waiting for its turn`;
  return null;
}

async function waitingRunCount(tx: Transaction, scheduleId: string): Promise<number> {
  const [row] = await tx
    .select({ count: sql<number>`count(*)::int` })
    .from(scheduleRuns)
    .where(and(eq(scheduleRuns.scheduleId, scheduleId), eq(scheduleRuns.outcome, 'queued'), isNull(scheduleRuns.crawlId)));
  return row?.count ?? 0;
}

async function insertRunCrawl(tx: Transaction, scheduleId: string, fireTime: Date, body: CreateCrawlBody): Promise<CrawlRow> {
  const crawl = await insertCrawl(tx, body, { scheduleId, fireTime });
  if (crawl) return crawl;
  // The crawl of this identity exists without its run row (the run was deleted by hand): adopt it.
  const [existing] = await tx
    .select({ id: crawls.id })
    .from(crawls)
    .where(and(eq(crawls.scheduleId, scheduleId), eq(crawls.fireTime, fireTime)));
  const found = existing ? await findCrawl(tx, existing.id) : null;
  if (!found) throw new Error(`crawl for schedule ${scheduleId} at ${fireTime.toISOString()} conflicted but cannot be found`);
  return found.crawl;
}

async function linkRunToCrawl(tx: Transaction, run: ScheduleRunRow, crawl: CrawlRow): Promise<ScheduleRunRow> {
  const [linked] = await tx.update(scheduleRuns).set({ crawlId: crawl.id }).where(eq(scheduleRuns.id, run.id)).returning();
  return linked ?? run;
}
