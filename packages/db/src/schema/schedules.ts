import { sql } from 'drizzle-orm';
import { boolean, index, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, keysetCreatedAt, timestampTz, updatedAt } from './columns';
import { scheduleCatchUpEnum, scheduleOverlapEnum, scheduleRunOutcomeEnum } from './enums';

export const schedules = pgTable(
  'schedules',
  {
    id: id(),
    name: text('name').notNull(),
    cron: text('cron').notNull(),
    timezone: text('timezone').notNull(),
    /** The body of POST /v1/crawls that each tick creates. */
    crawlSpec: jsonb('crawl_spec').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    overlap: scheduleOverlapEnum('overlap').notNull().default('skip'),
    catchUp: scheduleCatchUpEnum('catch_up').notNull().default('last'),
    lastFiredAt: timestampTz('last_fired_at'),
    createdAt: keysetCreatedAt(),
    updatedAt: updatedAt(),
  },
  (table) => [index('schedules_enabled_idx').on(table.enabled), index('schedules_created_at_id_idx').on(table.createdAt, table.id)],
);

/**
 * One row per tick of a schedule, whatever happened to it. The unique (schedule, fire time) pair is
 * the claim that makes a tick run once however many scheduler replicas fire it.
 */
export const scheduleRuns = pgTable(
  'schedule_runs',
  {
    id: id(),
    scheduleId: uuid('schedule_id')
      .notNull()
      .references(() => schedules.id, { onDelete: 'cascade' }),
    fireTime: timestampTz('fire_time').notNull(),
    outcome: scheduleRunOutcomeEnum('outcome').notNull(),
    crawlId: uuid('crawl_id'),
    reason: text('reason'),
    createdAt: createdAt(),
  },
  (table) => [
    uniqueIndex('schedule_runs_schedule_id_fire_time_key').on(table.scheduleId, table.fireTime),
    // Runs of an `overlap: queue` schedule that wait for the previous run (no crawl yet). The
    // scheduler looks for them every poll; schedule_runs grows by one row per tick, so the partial
    // index keeps that poll proportional to the waiting runs, not to the history.
    index('schedule_runs_waiting_idx')
      .on(table.scheduleId, table.fireTime)
      .where(sql`${table.outcome} = 'queued' and ${table.crawlId} is null`),
  ],
);
