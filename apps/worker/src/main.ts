import { loadEnv } from '@pubcrawl/config';
import { createLogger, exitOnSignal } from '@pubcrawl/logger';
import { createWorkerContext } from './context';
import { workerEnvSchema, workerEnvSource } from './env';
import { startReconcilers } from './reconcilers/index';
import { startWorkers } from './runner';

const env = loadEnv(workerEnvSchema, workerEnvSource);
const logger = createLogger({ name: 'worker', level: env.LOG_LEVEL });
const context = createWorkerContext(env, logger);
const reconcilers = startReconcilers(context);
const workers = startWorkers(context);

exitOnSignal(logger, async (signal) => {
  logger.info({ signal, graceMs: env.SHUTDOWN_GRACE_MS }, 'shutting down: no new jobs, letting active ones finish');
  context.shutdown.abort();
  await reconcilers.close();
  const outcome = await workers.close(env.SHUTDOWN_GRACE_MS);
  await context.close({ abandonInFlight: outcome === 'handed_back' });
  logger.info('shutdown complete');
});
// Only once the handler is in place: a supervisor may signal as soon as it reads this line.
logger.info({ prefix: env.QUEUE_PREFIX }, 'worker started');
