import { loadEnv, preflight, redisTopology } from '@pubcrawl/config';
import { probePostgres } from '@pubcrawl/db';
import { createLogger, exitOnSignal } from '@pubcrawl/logger';
import { probeRedis } from '@pubcrawl/queue';
import { realClock } from './clock';
import { schedulerEnvSchema, schedulerEnvSource } from './env';
import { startScheduler } from './scheduler';
import { nodeCronTicks } from './ticks';

const env = loadEnv(schedulerEnvSchema, schedulerEnvSource);
// Before any connection exists: an unreachable service is one line and exit 1, not a reconnect storm.
await preflight([probePostgres(env.DATABASE_URL), probeRedis(redisTopology(env))]);
const logger = createLogger({ name: 'scheduler', level: env.LOG_LEVEL });
const scheduler = startScheduler({ env, logger, clock: realClock, ticks: nodeCronTicks(logger) });

exitOnSignal(logger, async (signal) => {
  logger.info({ signal, graceMs: env.SCHEDULER_SHUTDOWN_GRACE_MS }, 'shutting down: no new ticks, letting fires in flight commit');
  await scheduler.stop();
  logger.info('shutdown complete');
});
// Only once the handler is in place: a supervisor may signal as soon as it reads this line.
logger.info({ prefix: env.QUEUE_PREFIX, pollIntervalMs: env.SCHEDULER_POLL_INTERVAL_MS }, 'scheduler started');
