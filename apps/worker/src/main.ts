import { derivedCredentialsKeyWarning, loadEnv, preflight, redisTopology } from '@pubcrawl/config';
import { probePostgres } from '@pubcrawl/db';
import { createLogger, exitOnSignal } from '@pubcrawl/logger';
import { probeRedis } from '@pubcrawl/queue';
import { createWorkerContext } from './context';
import { workerEnvSchema, workerEnvSource } from './env';
import { startReconcilers } from './reconcilers/index';
import { startWorkers } from './runner';

const env = loadEnv(workerEnvSchema, workerEnvSource);
// Before any connection exists: an unreachable service is one line and exit 1, not a reconnect storm.
await preflight([probePostgres(env.DATABASE_URL), probeRedis(redisTopology(env))]);
const logger = createLogger({ name: 'worker', level: env.LOG_LEVEL });
const derivedKeyWarning = derivedCredentialsKeyWarning(env);
if (derivedKeyWarning !== null) logger.warn(derivedKeyWarning);
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
