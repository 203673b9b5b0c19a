import { commonEnv, durationMs } from '@pubcrawl/config';
import { z } from 'zod';

export const schedulerEnvSchema = commonEnv.extend({
  /**
   * How often each replica checks Postgres for created, edited, enabled, disabled or deleted
   * schedules, and for queued runs whose turn has come. Default 2000: a change applies within about
   * 2 s (the issue promises 5) for one index-only aggregate per poll. At least 100.
   */
  SCHEDULER_POLL_INTERVAL_MS: z.coerce.number().int().min(100).default(2_000),
  /** On SIGTERM, how long fires already in flight get to commit and enqueue. Default 10000. */
  SCHEDULER_SHUTDOWN_GRACE_MS: durationMs(10_000),
});
export type SchedulerEnv = z.infer<typeof schedulerEnvSchema>;

export const schedulerEnvSource = process.env;
