import { parseEnv, redisTopology, type RedisTopology } from '@pubcrawl/config';
import { createDb, type DbHandle } from '@pubcrawl/db';
import { createLogger } from '@pubcrawl/logger';
import { closeQueues, createQueues, createRedisConnection, type Queues, type RedisConnection } from '@pubcrawl/queue';
import type { RunningSandbox } from '@pubcrawl/sandbox';
import type { QueueName } from '@pubcrawl/domain';
import { createTopologyTestRedis, testDatabase, testRedis, type TestDatabase, type TopologyTestRedis } from '@pubcrawl/testing';
import { createWorkerContext, startWorkers, workerEnvSchema, type WorkerContext } from '@pubcrawl/worker';
import type { App } from '../src/app-type';
import type { ApiContext } from '../src/context';
import { apiEnvSchema, type ApiEnv } from '../src/env';
import { buildServer } from '../src/server';
import { createApiPostingClient } from '../src/posting';
import { createApiTikApi } from '../src/tikapi';
import { createApiTikTok } from '../src/tiktok';

export const TEST_API_KEY = 'test-key-0123456789';

export interface TestApi {
  app: App;
  context: ApiContext;
  env: ApiEnv;
  db: DbHandle;
  /** The Redis this API (and `startApiWorkers`) talks to: the shared server unless a test chose one. */
  redisTopology: RedisTopology;
  redis: RedisConnection;
  queues: Queues;
  database: TestDatabase;
  testRedis: TopologyTestRedis;
  auth: { authorization: string };
  close(): Promise<void>;
}

export interface TestApiOptions {
  /** A Redis of the test's own (a local Cluster or Sentinel deployment). Default: the shared server. */
  redis?: RedisTopology;
}

/** The real server on this file's own database and key prefix, driven through `app.inject`. */
export async function startTestApi(envOverrides: Record<string, string> = {}, options: TestApiOptions = {}): Promise<TestApi> {
  const database = await testDatabase();
  const redisFixture = options.redis === undefined ? await testRedis() : await createTopologyTestRedis(options.redis);
  const env = parseEnv(apiEnvSchema, {
    DATABASE_URL: database.url,
    ...redisFixture.env,
    QUEUE_PREFIX: redisFixture.prefix,
    API_KEYS: `${TEST_API_KEY},second-key`,
    LOG_LEVEL: 'silent',
    // Most tests post the same fixture body again and again; the guard's own tests turn it on.
    DUPLICATE_WINDOW_HOURS: '0',
    ...envOverrides,
  });
  const logger = createLogger({ name: 'api-test', level: env.LOG_LEVEL, pretty: false });
  const db = createDb(env.DATABASE_URL, { max: 5 });
  const topology = redisTopology(env);
  const redis = createRedisConnection(topology);
  const queues = createQueues({ connection: redis, prefix: env.QUEUE_PREFIX });
  // BullMQ checks the Redis version on a queue's first use; a test that closes before that check
  // answers would see it rejected, unhandled, as "Connection is closed".
  await Promise.all(Object.values(queues).map((queue) => queue.waitUntilReady()));
  const posting = createApiPostingClient(env);
  const tikapi = createApiTikApi(env, redis);
  const tiktok = createApiTikTok(env, db);
  const context: ApiContext = { env, logger, db, redis, queues, posting, tikapi, tiktok };
  const app = await buildServer(context);
  await app.ready();
  return {
    app,
    context,
    env,
    db,
    redisTopology: topology,
    redis,
    queues,
    database,
    testRedis: redisFixture,
    auth: { authorization: `Bearer ${TEST_API_KEY}` },
    async close() {
      await app.close();
      await posting.close();
      await tikapi.close();
      await tiktok.close();
      await closeQueues(queues);
      redis.disconnect();
      await db.close();
      await redisFixture.cleanup();
      await database.cleanup();
    },
  };
}

export interface ApiWorkers {
  context: WorkerContext;
  stop(): Promise<void>;
}

/**
 * Workers on the API's own database and key prefix, as in production, talking to `sandbox`: what
 * the API enqueues, they run, and what they record (metrics, rows) the API reads.
 */
export function startApiWorkers(api: TestApi, sandbox: RunningSandbox, queues: readonly QueueName[], overrides: Record<string, string> = {}): ApiWorkers {
  const env = parseEnv(workerEnvSchema, {
    DATABASE_URL: api.env.DATABASE_URL,
    ...api.testRedis.env,
    QUEUE_PREFIX: api.env.QUEUE_PREFIX,
    TIKAPI_BASE_URL: sandbox.url,
    TIKAPI_API_KEY: 'test-tikapi-key',
    POSTING_BASE_URL: sandbox.url,
    POSTING_API_KEY: 'test-posting-key',
    TIKTOK_BASE_URL: sandbox.url,
    TIKTOK_AUTH_URL: sandbox.url,
    LOG_LEVEL: 'silent',
    ...overrides,
  });
  const context = createWorkerContext(env, createLogger({ name: 'worker-test', level: 'silent', pretty: false }));
  const workers = startWorkers(context, queues);
  return {
    context,
    async stop() {
      context.shutdown.abort();
      const outcome = await workers.close(5_000);
      await context.close({ abandonInFlight: outcome === 'handed_back' });
    },
  };
}
