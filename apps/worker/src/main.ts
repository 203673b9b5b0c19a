import { loadEnv } from '@pubcrawl/config';
import { createLogger } from '@pubcrawl/logger';
import { createWorkerContext } from './context';
import { workerEnvSchema, workerEnvSource } from './env';
import { startReconcilers } from './reconcilers/index';
import { startWorkers } from './runner';

const env = loadEnv(workerEnvSchema, workerEnvSource);
const logger = createLogger({ name: 'worker', level: env.LOG_LEVEL });
const context = createWorkerContext(env, logger);
const reconcilers = startReconcilers(context);
const workers = startWorkers(context);
logger.info({ prefix: env.QUEUE_PREFIX }, 'worker started');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal, graceMs: env.SHUTDOWN_GRACE_MS }, 'shutting down: no new jobs, letting active ones finish');
  context.shutdown.abort();
  try {
    await reconcilers.close();
    const outcome = await workers.close(env.SHUTDOWN_GRACE_MS);
    await context.close({ abandonInFlight: outcome === 'handed_back' });
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
