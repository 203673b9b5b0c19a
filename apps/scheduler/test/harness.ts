import { parseEnv } from '@pubcrawl/config';
import { crawls, insertSchedule, scheduleRuns, type CrawlRow, type ScheduleRow, type ScheduleRunRow } from '@pubcrawl/db';
import { createLogger } from '@pubcrawl/logger';
import type { SandboxConfig } from '@pubcrawl/sandbox';
import { createScheduleBodySchema } from '@pubcrawl/schemas';
import { asc, eq } from 'drizzle-orm';
import type { z } from 'zod';
import { startWorkerHarness, type WorkerHarness } from '../../worker/test/harness';
import { schedulerEnvSchema } from '../src/env';
import { startScheduler, type RunningScheduler } from '../src/scheduler';

export interface SchedulerWorld {
  /** Private database, key prefix and sandbox; `worker.context` (db, queues) is for inspecting. */
  worker: WorkerHarness;
  /** A replica on its own Postgres pool and Redis connection; stopped by `close` if still running. */
  startReplica(overrides?: Record<string, string>): RunningScheduler;
  createSchedule(body: z.input<typeof createScheduleBodySchema>): Promise<ScheduleRow>;
  /** The crawls the schedule created, oldest tick first. */
  crawls(scheduleId: string): Promise<CrawlRow[]>;
  /** The schedule's runs, oldest tick first, each with its crawl. */
  runs(scheduleId: string): Promise<Array<{ run: ScheduleRunRow; crawl: CrawlRow | null }>>;
  close(): Promise<void>;
}

export async function startSchedulerWorld(options: { sandbox?: Partial<SandboxConfig> } = {}): Promise<SchedulerWorld> {
  const worker = await startWorkerHarness(options.sandbox ? { sandbox: options.sandbox } : {});
  const logger = createLogger({ name: 'scheduler-test', level: 'silent', pretty: false });
  const replicas: RunningScheduler[] = [];
  return {
    worker,
    startReplica(overrides = {}) {
      const env = parseEnv(schedulerEnvSchema, { ...worker.env, SCHEDULER_SHUTDOWN_GRACE_MS: '5000', ...overrides });
      const replica = startScheduler({ env, logger });
      replicas.push(replica);
      return replica;
    },
    async createSchedule(body) {
      return insertSchedule(worker.context.db.db, createScheduleBodySchema.parse(body));
    },
    async crawls(scheduleId) {
      return worker.context.db.db.select().from(crawls).where(eq(crawls.scheduleId, scheduleId)).orderBy(asc(crawls.fireTime));
    },
    async runs(scheduleId) {
      return worker.context.db.db
        .select({ run: scheduleRuns, crawl: crawls })
        .from(scheduleRuns)
        .leftJoin(crawls, eq(crawls.id, scheduleRuns.crawlId))
        .where(eq(scheduleRuns.scheduleId, scheduleId))
        .orderBy(asc(scheduleRuns.fireTime));
    },
    async close() {
      await Promise.all(replicas.map((replica) => replica.stop()));
      await worker.close();
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sleeps until `offsetMs` past the next multiple of `periodMs` (wall clock), e.g. just after a tick. */
export async function sleepUntilPhase(periodMs: number, offsetMs: number): Promise<void> {
  const now = Date.now();
  let target = Math.floor(now / periodMs) * periodMs + offsetMs;
  if (target <= now) target += periodMs;
  await sleep(target - now);
}

/**
 * The overlap tests' scenario: a hashtag crawl of `maxPages` slow pages (the world's sandbox sets
 * the latency), scheduled every 2 s, with one replica running for 13 s. Returns what it left.
 */
export async function runSlowCrawlSchedule(
  world: SchedulerWorld,
  options: { name: string; overlap: 'skip' | 'queue'; maxPages: number },
): Promise<{ runs: Awaited<ReturnType<SchedulerWorld['runs']>>; crawls: CrawlRow[] }> {
  const schedule = await world.createSchedule({
    name: options.name,
    cron: '*/2 * * * * *',
    timezone: 'UTC',
    crawl: { kind: 'hashtag', target: { name: 'tag_500' }, maxPages: options.maxPages },
    overlap: options.overlap,
  });
  const scheduler = world.startReplica();
  await scheduler.ready;
  await sleep(13_000);
  await scheduler.stop();
  return { runs: await world.runs(schedule.id), crawls: await world.crawls(schedule.id) };
}
