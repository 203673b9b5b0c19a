import { parseEnv } from '@pubcrawl/config';
import { crawls, insertSchedule, scheduleRuns, type CrawlRow, type ScheduleRow, type ScheduleRunRow } from '@pubcrawl/db';
import { createLogger } from '@pubcrawl/logger';
import type { SandboxConfig } from '@pubcrawl/sandbox';
import { createScheduleBodySchema } from '@pubcrawl/contracts';
import { and, asc, eq, inArray } from 'drizzle-orm';
import type { z } from 'zod';
import { startWorkerHarness, type WorkerHarness } from '../../worker/test/harness';
import { schedulerEnvSchema } from '../src/env';
import { startScheduler, type RunningScheduler } from '../src/scheduler';
import { clockTicks, ManualClock } from './manual-clock';

export interface SchedulerWorld {
  /** Private database, key prefix and sandbox; `worker.context` (db, queues) is for inspecting. */
  worker: WorkerHarness;
  /**
   * The replicas' clock, a minute or two ahead of the real one on a whole minute + 500 ms. Rows are
   * stamped by the real clock (`updated_at` from the API or insertSchedule), so being ahead keeps
   * every edit in the replicas' past, as in production; the half second keeps polls (every 2 s
   * from the start) half a second after the even-second ticks.
   */
  clock: ManualClock;
  /** A replica on the world's clock, its own Postgres pool and Redis connection; stopped by `close`. */
  startReplica(overrides?: Record<string, string>): RunningScheduler;
  /** Moves the clock forward, letting every replica finish what each instant started. */
  advance(ms: number): Promise<void>;
  /** Ends the schedule's queued and running crawls as a crawl worker would (there is none here). */
  finishCrawls(scheduleId: string, status?: 'running' | 'completed' | 'reauth_required'): Promise<void>;
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
  const clock = new ManualClock(new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 60_000 + 500));
  const idle = async () => void (await Promise.all(replicas.map((replica) => replica.idle())));
  return {
    worker,
    clock,
    startReplica(overrides = {}) {
      const env = parseEnv(schedulerEnvSchema, { ...worker.env, SCHEDULER_SHUTDOWN_GRACE_MS: '5000', ...overrides });
      const replica = startScheduler({ env, logger, clock, ticks: clockTicks(clock) });
      replicas.push(replica);
      return replica;
    },
    advance: (ms) => clock.advance(ms, idle),
    async finishCrawls(scheduleId, status = 'completed') {
      const done = status === 'running' ? {} : { finishedAt: new Date() };
      await worker.context.db.db
        .update(crawls)
        .set({ status, ...done })
        .where(and(eq(crawls.scheduleId, scheduleId), inArray(crawls.status, ['queued', 'running'])));
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
