import { derivedCredentialsKeyWarning, loadEnv, preflight, redisTopology } from '@pubcrawl/config';
import { createDb, probePostgres } from '@pubcrawl/db';
import { createLogger, exitOnSignal } from '@pubcrawl/logger';
import { closeQueues, closeRedisConnection, createQueues, createRedisConnection, probeRedis } from '@pubcrawl/queue';
import { apiEnvSchema, apiEnvSource } from './env';
import { createApiPostingClient } from './posting';
import { createApiTikApi } from './tikapi';
import { createApiTikTok } from './tiktok';
import { buildServer } from './server';

const env = loadEnv(apiEnvSchema, apiEnvSource);
const topology = redisTopology(env);
// Before any connection exists: an unreachable service is one line and exit 1, not a reconnect storm.
await preflight([probePostgres(env.DATABASE_URL), probeRedis(topology)]);
const logger = createLogger({ name: 'api', level: env.LOG_LEVEL });
if (env.API_KEYS.length === 0) logger.warn('API_KEYS is empty: every /v1 request will be refused with 401');
const derivedKeyWarning = derivedCredentialsKeyWarning(env);
if (derivedKeyWarning !== null) logger.warn(derivedKeyWarning);

const db = createDb(env.DATABASE_URL, { applicationName: 'pubcrawl-api' });
const redis = createRedisConnection(topology, { connectionName: 'pubcrawl-api' });
const queues = createQueues({ connection: redis, prefix: env.QUEUE_PREFIX });
const posting = createApiPostingClient(env);
const tikapi = createApiTikApi(env, redis);
const tiktok = createApiTikTok(env, db);
const app = await buildServer({ env, logger, db, redis, queues, posting, tikapi, tiktok });

exitOnSignal(logger, async (signal) => {
  logger.info({ signal }, 'shutting down');
  await app.close();
  await posting.close();
  await tikapi.close();
  await tiktok.close();
  await closeQueues(queues);
  await closeRedisConnection(redis);
  await db.close();
});

await app.listen({ port: env.PORT, host: env.HOST });
