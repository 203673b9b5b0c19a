import { parseEnv } from '@pubcrawl/config';
import { createDb, type DbHandle } from '@pubcrawl/db';
import { createLogger } from '@pubcrawl/logger';
import { closeQueues, createQueues, createRedisConnection, type Queues } from '@pubcrawl/queue';
import type { RunningSandbox } from '@pubcrawl/sandbox';
import type { QueueName } from '@pubcrawl/schemas';
import { testDatabase, testRedis, type TestDatabase, type TestRedis } from '@pubcrawl/testing';
import { createWorkerContext, startWorkers, workerEnvSchema, type WorkerContext } from '@pubcrawl/worker';
import type { Redis } from 'ioredis';
import type { App } from '../src/app-type';
import type { ApiContext } from '../src/context';
import { apiEnvSchema, type ApiEnv } from '../src/env';
import { buildServer } from '../src/server';

export const TEST_API_KEY = 'test-key-0123456789';

export interface TestApi {
  app: App;
  context: ApiContext;
  env: ApiEnv;
  db: DbHandle;
  redis: Redis;
  queues: Queues;
  database: TestDatabase;
  testRedis: TestRedis;
  auth: { authorization: string };
  close(): Promise<void>;
}

/** The real server on this file's own database and key prefix, driven through `app.inject`. */
export async function startTestApi(envOverrides: Record<string, string> = {}): Promise<TestApi> {
  const database = await testDatabase();
  const redisFixture = await testRedis();
  const env = parseEnv(apiEnvSchema, {
    DATABASE_URL: database.url,
    REDIS_URL: redisFixture.url,
    QUEUE_PREFIX: redisFixture.prefix,
    API_KEYS: `${TEST_API_KEY},second-key`,
    LOG_LEVEL: 'silent',
    ...envOverrides,
  });
  const logger = createLogger({ name: 'api-test', level: env.LOG_LEVEL, pretty: false });
  const db = createDb(env.DATABASE_URL, { max: 5 });
  const redis = createRedisConnection(env.REDIS_URL);
  const queues = createQueues({ connection: redis, prefix: env.QUEUE_PREFIX });
  // BullMQ checks the Redis version on a queue's first use; a test that closes before that check
  // answers would see it rejected, unhandled, as "Connection is closed".
  await Promise.all(Object.values(queues).map((queue) => queue.waitUntilReady()));
  const context: ApiContext = { env, logger, db, redis, queues };
  const app = await buildServer(context);
  await app.ready();
  return {
    app,
    context,
    env,
    db,
    redis,
    queues,
    database,
    testRedis: redisFixture,
    auth: { authorization: `Bearer ${TEST_API_KEY}` },
    async close() {
      await app.close();
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
    REDIS_URL: api.env.REDIS_URL,
    QUEUE_PREFIX: api.env.QUEUE_PREFIX,
    TIKAPI_BASE_URL: sandbox.url,
    TIKAPI_API_KEY: 'test-tikapi-key',
    POSTING_BASE_URL: sandbox.url,
    POSTING_API_KEY: 'test-posting-key',
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
