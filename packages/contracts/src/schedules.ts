import { z } from 'zod';
import { canonicalTimezone, cronProblem, MAX_CRON_LENGTH } from '@pubcrawl/scheduling';
import { MAX_WAITING_RUNS, SCHEDULE_CATCH_UP_POLICIES, SCHEDULE_OVERLAP_POLICIES, SCHEDULE_RUN_OUTCOMES } from '@pubcrawl/domain';
import { crawlSchema, createCrawlBodySchema } from './crawls';

/**
 * 5 fields, or 6 with seconds first. Our lexer bounds every number, range and step first (node-cron
 * would expand `0-200000000` into an array and crash), then node-cron validates, so the API accepts
 * exactly what the scheduler can run. How often it may fire depends on MIN_SCHEDULE_INTERVAL_S,
 * which the API checks (cronMinIntervalSeconds).
 */
export const cronExpressionSchema = z
  .string()
  .trim()
  .min(1)
  .max(MAX_CRON_LENGTH)
  .superRefine((value, context) => {
    const problem = cronProblem(value);
    if (problem) context.addIssue({ code: 'custom', message: problem.message });
  })
  // One space between fields, so the stored expression is the one node-cron and our walker both see.
  .transform((value) => value.split(/\s+/).join(' '))
  .describe('Cron expression: 5 fields, or 6 with seconds first (node-cron syntax)');

/** An IANA zone name, stored in its canonical spelling (`america/new_york` → `America/New_York`). */
export const timezoneSchema = z
  .string()
  .min(1)
  .max(100)
  .transform((value, context) => {
    const canonical = canonicalTimezone(value);
    if (canonical === null) {
      context.addIssue({ code: 'custom', message: 'must be an IANA time zone name, e.g. Europe/Paris' });
      return z.NEVER;
    }
    return canonical;
  })
  .describe('IANA time zone the cron expression is read in, e.g. America/New_York');

const scheduleFields = {
  name: z.string().trim().min(1).max(200),
  cron: cronExpressionSchema,
  timezone: timezoneSchema,
  crawl: createCrawlBodySchema.describe('The body of POST /v1/crawls that every tick creates'),
  enabled: z.boolean(),
  overlap: z
    .enum(SCHEDULE_OVERLAP_POLICIES)
    .describe(`When a tick comes while the previous run is still queued or running: skip records a skipped run, queue runs it after (at most ${MAX_WAITING_RUNS} runs wait; later ticks are skipped)`),
  catchUp: z
    .enum(SCHEDULE_CATCH_UP_POLICIES)
    .describe('After the scheduler was down across ticks: last runs the most recent missed tick once, none runs nothing'),
};

export const createScheduleBodySchema = z
  .object({
    ...scheduleFields,
    enabled: scheduleFields.enabled.default(true),
    overlap: scheduleFields.overlap.default('skip'),
    catchUp: scheduleFields.catchUp.default('last'),
  })
  .strict();
export type CreateScheduleBody = z.infer<typeof createScheduleBodySchema>;

export const updateScheduleBodySchema = z
  .object({
    name: scheduleFields.name.optional(),
    cron: scheduleFields.cron.optional(),
    timezone: scheduleFields.timezone.optional(),
    crawl: scheduleFields.crawl.optional(),
    enabled: scheduleFields.enabled.optional(),
    overlap: scheduleFields.overlap.optional(),
    catchUp: scheduleFields.catchUp.optional(),
  })
  .strict()
  .refine((body) => Object.values(body).some((value) => value !== undefined), { message: 'send at least one field to change' });
export type UpdateScheduleBody = z.infer<typeof updateScheduleBodySchema>;

export const scheduleSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  cron: z.string(),
  timezone: z.string(),
  crawl: createCrawlBodySchema,
  enabled: z.boolean(),
  overlap: z.enum(SCHEDULE_OVERLAP_POLICIES),
  catchUp: z.enum(SCHEDULE_CATCH_UP_POLICIES),
  lastFiredAt: z.string().nullable().describe('The last cron tick handled (started, queued or skipped); manual runs do not move it'),
  nextRunAt: z.string().nullable().describe('The next tick; null while the schedule is disabled'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ScheduleResponse = z.infer<typeof scheduleSchema>;

export const scheduleRunSchema = z.object({
  id: z.uuid(),
  scheduleId: z.uuid(),
  fireTime: z.string().describe('The tick this run belongs to: its identity, unique per schedule'),
  outcome: z.enum(SCHEDULE_RUN_OUTCOMES).describe('started; skipped (a previous run was active); queued (waited for the previous run)'),
  reason: z.string().nullable(),
  crawl: crawlSchema.nullable().describe('The crawl this tick created; null when skipped, or while a queued run waits'),
  createdAt: z.string(),
});
export type ScheduleRunResponse = z.infer<typeof scheduleRunSchema>;
