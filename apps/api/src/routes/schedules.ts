import {
  crawlView,
  deleteSchedule,
  findSchedule,
  findScheduleRun,
  fireSchedule,
  insertSchedule,
  listScheduleRuns,
  listSchedules,
  scheduleRunView,
  scheduleView,
  updateSchedule,
  type Executor,
  type ScheduleRow,
} from '@pubcrawl/db';
import { enqueueCrawl } from '@pubcrawl/queue';
import { compileCron, cronMinIntervalSeconds, InvalidCronError } from '@pubcrawl/scheduling';
import { createScheduleBodySchema, crawlMaxItemsProblem, errorEnvelopeSchema, pageOf, pageQuerySchema, scheduleRunSchema, scheduleSchema, updateScheduleBodySchema, uuidParamsSchema, type CreateCrawlBody } from '@pubcrawl/contracts';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiContext } from '../context';
import { invalidInput, notFound } from '../errors';
import { assertCrawlAccount } from '../services/crawl-account';
import { toError } from '@pubcrawl/errors';

const errors = { 400: errorEnvelopeSchema, 404: errorEnvelopeSchema };

/**
 * The next tick after now; null while disabled. Also null for a stored expression that a newer
 * node-cron rejects: one such row must not fail a whole list, and the scheduler logs it loudly.
 */
function nextRunAt(schedule: Pick<ScheduleRow, 'cron' | 'timezone' | 'enabled'>, now = new Date()): Date | null {
  if (!schedule.enabled) return null;
  try {
    return compileCron(schedule.cron, schedule.timezone).next(now);
  } catch (caught) {
    const error = toError(caught);
    if (error instanceof InvalidCronError) return null;
    throw error;
  }
}

/** node-cron accepts expressions that never fire in practice (`0 0 L-30 2 *`); a schedule must fire. */
function assertFires(cron: string, timezone: string): void {
  let schedule;
  try {
    schedule = compileCron(cron, timezone);
  } catch (caught) {
    // Only a stored expression can get here (the body schema vetted a new one): a row from before
    // the lexer bounded ranges. PATCH is how it gets fixed, so say what to send.
    if (caught instanceof InvalidCronError) throw invalidInput('Invalid field: cron', { cron: `${caught.message}; send a new cron` });
    throw caught;
  }
  if (schedule.next(new Date()) === null) {
    throw invalidInput('Invalid field: cron', { cron: 'never fires: no matching time in the next 100 years' });
  }
}

/** A schedule may not tick more often than MIN_SCHEDULE_INTERVAL_S allows (the worst case over a day). */
function assertInterval(cron: string, minIntervalS: number): void {
  const shortest = cronMinIntervalSeconds(cron);
  if (shortest < minIntervalS) {
    throw invalidInput('Invalid field: cron', {
      cron: `can fire ${shortest} s apart; schedules must be at least ${minIntervalS} s apart (the operator can lower MIN_SCHEDULE_INTERVAL_S, down to 1)`,
    });
  }
}

/** Every tick creates this crawl, so it is held to the same ceiling as POST /v1/crawls. */
function assertCrawlCeiling(crawl: CreateCrawlBody, maxItemsLimit: number): void {
  const problem = crawlMaxItemsProblem(crawl, maxItemsLimit);
  if (problem !== null) throw invalidInput('Invalid field: crawl.maxItems', { 'crawl.maxItems': problem });
}

/** A followers crawl's account must be usable, or every tick would fail. */
async function assertScheduleCrawlAccount(executor: Executor, crawl: CreateCrawlBody): Promise<void> {
  if (crawl.kind !== 'followers' || crawl.accountId === undefined) return;
  await assertCrawlAccount(executor, crawl.accountId, 'crawl.accountId');
}

/** This server's limits, for the OpenAPI description of the routes that enforce them. */
function scheduleLimits(context: ApiContext): string {
  return (
    `On this server the cron may not fire more often than every ${context.env.MIN_SCHEDULE_INTERVAL_S} s (MIN_SCHEDULE_INTERVAL_S), ` +
    `and crawl.maxItems may be at most ${context.env.CRAWL_MAX_ITEMS_LIMIT} (CRAWL_MAX_ITEMS_LIMIT).`
  );
}

export const schedulesRoutes = (context: ApiContext): FastifyPluginAsyncZod =>
  async function schedules(app) {
    const { db } = context.db;

    app.post(
      '/schedules',
      {
        schema: {
          summary: 'Create a schedule: a crawl that recurs on a cron expression in a time zone',
          description: scheduleLimits(context),
          body: createScheduleBodySchema,
          response: { 201: scheduleSchema, ...errors },
        },
      },
      async (request, reply) => {
        assertInterval(request.body.cron, context.env.MIN_SCHEDULE_INTERVAL_S);
        assertFires(request.body.cron, request.body.timezone);
        assertCrawlCeiling(request.body.crawl, context.env.CRAWL_MAX_ITEMS_LIMIT);
        await assertScheduleCrawlAccount(db, request.body.crawl);
        const schedule = await insertSchedule(db, request.body);
        return reply.status(201).send(scheduleView(schedule, nextRunAt(schedule)));
      },
    );

    app.get(
      '/schedules',
      {
        schema: {
          summary: 'List schedules, newest first',
          querystring: pageQuerySchema,
          response: { 200: pageOf(scheduleSchema), ...errors },
        },
      },
      async (request) => {
        const page = await listSchedules(db, request.query);
        if (!page) throw invalidInput('Invalid field: cursor', { cursor: 'is not a cursor this API returned' });
        const now = new Date();
        return { items: page.items.map((schedule) => scheduleView(schedule, nextRunAt(schedule, now))), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/schedules/:id',
      { schema: { summary: 'Get a schedule', params: uuidParamsSchema, response: { 200: scheduleSchema, ...errors } } },
      async (request) => {
        const schedule = await findSchedule(db, request.params.id);
        if (!schedule) throw notFound('schedule');
        return scheduleView(schedule, nextRunAt(schedule));
      },
    );

    app.patch(
      '/schedules/:id',
      {
        schema: {
          summary: 'Change a schedule; running schedulers pick the change up within seconds',
          description: scheduleLimits(context),
          params: uuidParamsSchema,
          body: updateScheduleBodySchema,
          response: { 200: scheduleSchema, ...errors },
        },
      },
      async (request) => {
        const current = await findSchedule(db, request.params.id);
        if (!current) throw notFound('schedule');
        // Only a new expression is held to the floor: a stored one stays editable after the floor rises.
        if (request.body.cron !== undefined) assertInterval(request.body.cron, context.env.MIN_SCHEDULE_INTERVAL_S);
        assertFires(request.body.cron ?? current.cron, request.body.timezone ?? current.timezone);
        if (request.body.crawl) {
          assertCrawlCeiling(request.body.crawl, context.env.CRAWL_MAX_ITEMS_LIMIT);
          await assertScheduleCrawlAccount(db, request.body.crawl);
        }
        const schedule = await updateSchedule(db, request.params.id, request.body);
        if (!schedule) throw notFound('schedule');
        return scheduleView(schedule, nextRunAt(schedule));
      },
    );

    app.delete(
      '/schedules/:id',
      {
        schema: {
          summary: 'Delete a schedule and its run history; the crawls it created are kept',
          params: uuidParamsSchema,
          response: { 204: z.null().describe('Deleted'), ...errors },
        },
      },
      async (request, reply) => {
        if (!(await deleteSchedule(db, request.params.id))) throw notFound('schedule');
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/schedules/:id/run',
      {
        schema: {
          summary: 'Fire the schedule now, with the same overlap policy as a tick',
          description:
            'The run is identified by the current second. 201 with the new run; 200 with the existing run when this second ' +
            'already has one (a repeated click, or a tick of the schedule in the same second). Works on disabled schedules too.',
          params: uuidParamsSchema,
          response: { 200: scheduleRunSchema, 201: scheduleRunSchema, ...errors },
        },
      },
      async (request, reply) => {
        const fireTime = new Date(Math.floor(Date.now() / 1000) * 1000);
        const result = await fireSchedule(db, { scheduleId: request.params.id, fireTime, trigger: 'manual' });
        if (!result.fired) {
          if (result.reason === 'already_claimed' && result.run) {
            const existing = await findScheduleRun(db, result.run.id);
            return reply.status(200).send(existing ?? scheduleRunView(result.run, null));
          }
          throw notFound('schedule');
        }
        if (result.crawl) {
          try {
            await enqueueCrawl(context.queues, result.crawl, 0);
          } catch (caught) {
            // The crawl row is committed; the crawl reconciler enqueues it once Redis answers again.
            const error = toError(caught);
            request.log.warn({ err: error, crawlId: result.crawl.id }, 'enqueue after a manual schedule run failed; the reconciler will retry');
          }
        }
        return reply.status(201).send(scheduleRunView(result.run, result.crawl ? crawlView(result.crawl, null) : null));
      },
    );

    app.get(
      '/schedules/:id/runs',
      {
        schema: {
          summary: "A schedule's runs, newest tick first: the crawls it created with their fire times, and the ticks it skipped",
          params: uuidParamsSchema,
          querystring: pageQuerySchema,
          response: { 200: pageOf(scheduleRunSchema), ...errors },
        },
      },
      async (request) => {
        if (!(await findSchedule(db, request.params.id))) throw notFound('schedule');
        const page = await listScheduleRuns(db, request.params.id, request.query);
        if (!page) throw invalidInput('Invalid field: cursor', { cursor: 'is not a cursor this API returned' });
        return page;
      },
    );
  };
