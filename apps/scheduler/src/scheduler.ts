import {
  createDb,
  enabledSchedules,
  enabledSchedulesDigest,
  fireSchedule,
  schedulesWithWaitingRuns,
  startWaitingRun,
  type CrawlRow,
  type EnabledSchedule,
  type ScheduleTick,
} from '@pubcrawl/db';
import type { Logger } from '@pubcrawl/logger';
import { redisTopology } from '@pubcrawl/config';
import { closeQueues, closeRedisConnection, createQueues, createRedisConnection, enqueueCrawl } from '@pubcrawl/queue';
import { compileCron, type CronSchedule } from '@pubcrawl/scheduling';
import { missedTickToCatchUp } from './catch-up';
import type { Clock } from './clock';
import type { SchedulerEnv } from './env';
import type { TickSource, TickWatch } from './ticks';
import { toError } from '@pubcrawl/errors';

export interface StartSchedulerOptions {
  env: SchedulerEnv;
  logger: Logger;
  /** Schedule time: tick identities, catch-up's "now", the poll. Production: `realClock`. */
  clock: Clock;
  /**
   * What delivers each registered schedule's ticks. Production: `nodeCronTicks(logger)`. Tests pass
   * ticks driven by the same fake clock, so that both move together.
   */
  ticks: TickSource;
}

export interface RunningScheduler {
  /** Settles once the schedules were loaded, their tasks registered and their catch-ups fired. */
  readonly ready: Promise<void>;
  /** Ids of the schedules this replica has a tick watch (a node-cron task in production) for. */
  registered(): string[];
  /** What this replica's fires came to, since it started (for logs, metrics and tests). */
  counts(): Readonly<FireCounts>;
  /** Polls Postgres now instead of at the next interval; resolves when that poll is done. */
  syncNow(): Promise<void>;
  /**
   * Resolves once this replica has nothing in progress: no poll, no fire (committing, enqueueing).
   * A test that moves a fake clock awaits this before it looks at Postgres.
   */
  idle(): Promise<void>;
  /** Stops every task, lets fires in flight finish (up to the grace), closes Postgres and Redis. */
  stop(): Promise<void>;
}

export interface FireCounts {
  /** Ticks this replica claimed (the run is this replica's, whatever its outcome). */
  fired: number;
  /** Ticks another replica (or a manual run in the same second) had claimed first. */
  already_claimed: number;
  /** Ticks of a definition edited since this replica loaded it. */
  changed: number;
  disabled: number;
  not_found: number;
  /** Fires that kept failing (Postgres unreachable) and were given up here. */
  failed: number;
}

interface Registration {
  cron: string;
  timezone: string;
  watch: TickWatch;
}

/** A fire that fails (Postgres unreachable, a serialization hiccup) is retried after these delays. */
const FIRE_RETRY_DELAYS_MS = [500, 2_000];
/** Enqueueing must not hold a fire forever while Redis is away: the crawl reconciler catches up. */
const ENQUEUE_TIMEOUT_MS = 5_000;

// Real timers below, not the clock: they bound waits on real sockets (see Clock).
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `work`, or `ms` at most, without leaving a timer behind. */
async function atMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * One scheduler replica. Run as many as availability needs: every replica registers every enabled
 * schedule with its tick source (node-cron in production) and fires every tick, and Postgres lets
 * exactly one fire per tick through (see `fireSchedule`). The replica only ever writes Postgres and
 * enqueues; it runs no crawl.
 *
 * Each poll (SCHEDULER_POLL_INTERVAL_MS):
 * - compares a digest of the enabled schedules' (id, cron, timezone) and, when it moved, reloads
 *   them: stale tasks are destroyed, new ones registered, and each newly registered schedule
 *   catches up the latest tick it missed (at start: downtime; later: the reload's own latency);
 * - gives the oldest waiting run of each `overlap: queue` schedule its crawl once the previous run
 *   has finished.
 */
export function startScheduler(options: StartSchedulerOptions): RunningScheduler {
  const { env, logger, clock, ticks } = options;
  const db = createDb(env.DATABASE_URL, { max: 5, applicationName: 'pubcrawl-scheduler' });
  const redis = createRedisConnection(redisTopology(env), { connectionName: 'pubcrawl-scheduler' });
  redis.on('error', (caught: unknown) => logger.debug({ err: toError(caught) }, 'redis connection error'));
  const queues = createQueues({ connection: redis, prefix: env.QUEUE_PREFIX });

  const registrations = new Map<string, Registration>();
  const inFlight = new Set<Promise<void>>();
  const counts: FireCounts = { fired: 0, already_claimed: 0, changed: 0, disabled: 0, not_found: 0, failed: 0 };
  let digest: string | null = null;
  let stopped = false;
  let cancelPoll: () => void = () => undefined;
  let polling: Promise<void> = Promise.resolve();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  /** Fires never reject: each is tracked so that stop() can wait for it. */
  function track(work: Promise<void>): Promise<void> {
    inFlight.add(work);
    void work.then(() => inFlight.delete(work));
    return work;
  }

  async function enqueue(crawl: CrawlRow): Promise<void> {
    try {
      await withTimeout(enqueueCrawl(queues, crawl, 0), ENQUEUE_TIMEOUT_MS, 'enqueue');
    } catch (caught) {
      // The crawl row is committed as queued; the crawl reconciler enqueues crawls that lost their job.
      logger.warn({ err: toError(caught), crawlId: crawl.id }, 'enqueue failed after commit; the crawl reconciler will enqueue it');
    }
  }

  async function fire(tick: ScheduleTick): Promise<void> {
    const fields = { scheduleId: tick.scheduleId, fireTime: tick.fireTime.toISOString(), trigger: tick.trigger };
    for (let attempt = 0; ; attempt += 1) {
      try {
        const result = await fireSchedule(db.db, tick);
        counts[result.fired ? 'fired' : result.reason] += 1;
        if (!result.fired) {
          logger.debug({ ...fields, reason: result.reason }, 'tick not fired here');
          return;
        }
        logger.info({ ...fields, outcome: result.run.outcome, crawlId: result.crawl?.id, reason: result.run.reason }, 'schedule fired');
        if (result.crawl) await enqueue(result.crawl);
        return;
      } catch (caught) {
        const error = toError(caught);
        const delay = FIRE_RETRY_DELAYS_MS[attempt];
        if (delay === undefined || stopped) {
          // Another replica may still claim it; if none does, the next start's catch-up will.
          counts.failed += 1;
          logger.error({ ...fields, err: error }, 'firing a tick failed; giving up on it here');
          return;
        }
        logger.warn({ ...fields, err: error, retryInMs: delay }, 'firing a tick failed; retrying');
        await sleep(delay);
      }
    }
  }

  /** The one path of every tick, whichever source delivered it. */
  function onTick(scheduleId: string, compiled: CronSchedule, executionDate: Date): Promise<void> {
    const second = new Date(Math.floor(executionDate.getTime() / 1000) * 1000);
    // node-cron 4.6 hands over the nominal time of the slot it matched. Were a version to hand over
    // the wall clock instead, the latest match at or before it is still the same tick for every
    // replica, and the identity must not depend on how late this replica's timer ran.
    const fireTime = compiled.matches(second) ? second : (compiled.previous(second) ?? second);
    return track(fire({ scheduleId, fireTime, trigger: 'tick' }));
  }

  async function register(schedule: EnabledSchedule): Promise<boolean> {
    let compiled: CronSchedule;
    try {
      // Before the tick source sees it, always: compileCron's lexer bounds every range and step, and
      // node-cron expands a range into an array before checking it (0-200000000 killed the process).
      compiled = compileCron(schedule.cron, schedule.timezone);
    } catch (caught) {
      logger.error({ scheduleId: schedule.id, err: toError(caught) }, 'schedule has an expression or zone this node-cron rejects; not registered');
      return false;
    }
    const watch = await ticks.watch({ id: schedule.id, cron: schedule.cron, compiled }, (nominal) => void onTick(schedule.id, compiled, nominal));
    registrations.set(schedule.id, { cron: schedule.cron, timezone: schedule.timezone, watch });
    return true;
  }

  async function applySchedules(schedules: EnabledSchedule[]): Promise<void> {
    const wanted = new Map(schedules.map((schedule) => [schedule.id, schedule]));
    for (const [id, registration] of registrations) {
      const schedule = wanted.get(id);
      if (schedule && schedule.cron === registration.cron && schedule.timezone === registration.timezone) continue;
      await registration.watch.stop();
      registrations.delete(id);
    }
    const catchUps: Promise<void>[] = [];
    const now = clock.now();
    for (const schedule of schedules) {
      if (registrations.has(schedule.id)) continue;
      if (!(await register(schedule))) continue;
      const missed = missedTickToCatchUp(schedule, now);
      if (missed) catchUps.push(track(fire({ scheduleId: schedule.id, fireTime: missed, trigger: 'catch_up' })));
    }
    await Promise.all(catchUps);
  }

  async function startWaitingRuns(): Promise<void> {
    for (const scheduleId of await schedulesWithWaitingRuns(db.db)) {
      if (stopped) return;
      const started = await startWaitingRun(db.db, scheduleId);
      if (!started) continue;
      logger.info({ scheduleId, fireTime: started.run.fireTime.toISOString(), crawlId: started.crawl?.id }, 'queued run started');
      if (started.crawl) await enqueue(started.crawl);
    }
  }

  async function syncOnce(): Promise<void> {
    if (stopped) return;
    try {
      const current = await enabledSchedulesDigest(db.db);
      if (current !== digest) {
        await applySchedules(await enabledSchedules(db.db));
        digest = current;
        logger.info({ schedules: registrations.size }, 'schedules loaded');
        markReady();
      }
    } catch (caught) {
      logger.error({ err: toError(caught) }, 'loading schedules failed; keeping the tasks already registered and retrying');
    }
    try {
      await startWaitingRuns();
    } catch (caught) {
      logger.error({ err: toError(caught) }, 'starting waiting runs failed; retrying at the next poll');
    }
  }

  // Every sync runs after the previous one, so a poll and syncNow() never register a task twice.
  let syncChain: Promise<void> = Promise.resolve();
  const serialSync = (): Promise<void> => {
    syncChain = syncChain.then(syncOnce);
    return syncChain;
  };
  const loop = async (): Promise<void> => {
    await serialSync();
    if (!stopped) cancelPoll = clock.setTimer(env.SCHEDULER_POLL_INTERVAL_MS, () => void (polling = loop()));
  };
  polling = loop();

  let stopping: Promise<void> | null = null;
  return {
    ready,
    registered: () => [...registrations.keys()],
    counts: () => ({ ...counts }),
    syncNow: serialSync,
    async idle() {
      // A fire can start a poll's worth of work and a poll can start fires: wait until neither moved.
      for (;;) {
        const chain = syncChain;
        const loopRun = polling;
        const fires = [...inFlight];
        await Promise.all([chain, loopRun, ...fires]);
        if (chain === syncChain && loopRun === polling && inFlight.size === 0) return;
      }
    },
    stop() {
      stopping ??= (async () => {
        stopped = true;
        cancelPoll();
        await syncChain;
        for (const registration of registrations.values()) await registration.watch.stop();
        registrations.clear();
        await atMost(Promise.all([...inFlight]), env.SCHEDULER_SHUTDOWN_GRACE_MS);
        await closeQueues(queues).catch((caught: unknown) => logger.warn({ err: toError(caught) }, 'closing queues failed'));
        await closeRedisConnection(redis);
        await db.close();
      })();
      return stopping;
    },
  };
}
