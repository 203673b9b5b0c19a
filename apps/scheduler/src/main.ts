import { loadEnv } from '@pubcrawl/config';
import { createLogger } from '@pubcrawl/logger';
import { schedulerEnvSchema, schedulerEnvSource } from './env';
import { startScheduler } from './scheduler';

const env = loadEnv(schedulerEnvSchema, schedulerEnvSource);
const logger = createLogger({ name: 'scheduler', level: env.LOG_LEVEL });
const scheduler = startScheduler({ env, logger });
logger.info({ prefix: env.QUEUE_PREFIX, pollIntervalMs: env.SCHEDULER_POLL_INTERVAL_MS }, 'scheduler started');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal, graceMs: env.SCHEDULER_SHUTDOWN_GRACE_MS }, 'shutting down: no new ticks, letting fires in flight commit');
  try {
    await scheduler.stop();
    logger.info('shutdown complete');
    process.exit(0);
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    logger.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
