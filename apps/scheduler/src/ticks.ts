import type { Logger } from '@pubcrawl/logger';
import type { CronSchedule } from '@pubcrawl/scheduling';
import { createTask, type Logger as CronLogger } from 'node-cron';

/** A schedule as registered with a tick source; `compiled` has already passed the lexer. */
export interface WatchedSchedule {
  id: string;
  /** The expression as stored: what node-cron is given. */
  cron: string;
  compiled: CronSchedule;
}

/**
 * What calls the scheduler at each tick of a registered schedule, with the tick's nominal time.
 * Whatever calls it, every tick goes through the same fire path (normalised fire time, Postgres
 * claim), so a test that drives ticks from a fake clock exercises everything but the timer itself.
 */
export interface TickSource {
  watch(schedule: WatchedSchedule, onTick: (nominal: Date) => void): Promise<TickWatch>;
}

export interface TickWatch {
  /** No tick is delivered once this resolves. */
  stop(): Promise<void>;
}

/**
 * A late tick still runs when it is late by less than this and by less than the gap to the next
 * tick (node-cron checks both). node-cron's default of 1 s drops the tick of a replica whose event
 * loop stalled for a second (a GC pause, a slow DNS answer); the claim makes running it late safe.
 */
const MISSED_EXECUTION_TOLERANCE_MS = 60_000;

/** Production ticks: one node-cron task per schedule, on the real clock. */
export function nodeCronTicks(logger: Logger): TickSource {
  const cronLogger: CronLogger = {
    info: (message) => logger.debug({ source: 'node-cron' }, message),
    debug: (message) => logger.debug({ source: 'node-cron' }, String(message)),
    warn: (message) => logger.warn({ source: 'node-cron' }, message),
    error: (message, caught) => logger.error({ source: 'node-cron', err: caught ?? (message instanceof Error ? message : undefined) }, String(message)),
  };
  return {
    async watch(schedule, onTick) {
      // Deliberately not used: `noOverlap` (it would drop a tick, unrecorded, while the previous
      // fire's transaction is still open; the overlap policy is applied to crawls, in Postgres) and
      // `distributed` (a coordinator that elects one replica loses the tick if that replica dies
      // between election and commit; the Postgres claim has no such window).
      const task = createTask(schedule.cron, (context) => onTick(context.date), {
        name: `schedule-${schedule.id}`,
        timezone: schedule.compiled.timezone,
        noOverlap: false,
        missedExecutionTolerance: MISSED_EXECUTION_TOLERANCE_MS,
        logger: cronLogger,
      });
      task.on('execution:missed', (context) => {
        logger.warn({ scheduleId: schedule.id, fireTime: context.date.toISOString() }, 'node-cron skipped a tick it was too late for');
      });
      await task.start();
      return { stop: async () => void (await task.destroy()) };
    },
  };
}
