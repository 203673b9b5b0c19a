import { parseEnv } from '@pubcrawl/config';
import { createDb, type DbHandle } from '@pubcrawl/db';
import { createLogger } from '@pubcrawl/logger';
import { closeQueues, createQueues, createRedisConnection, type Queues } from '@pubcrawl/queue';
import { testDatabase, testRedis, type TestDatabase, type TestRedis } from '@pubcrawl/testing';
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
