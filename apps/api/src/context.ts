import type { DbHandle } from '@pubcrawl/db';
import type { Logger } from '@pubcrawl/logger';
import type { Queues } from '@pubcrawl/queue';
import type { Redis } from 'ioredis';
import type { ApiEnv } from './env';

/** Everything a route needs, built once in main.ts (or by a test) and handed to buildServer. */
export interface ApiContext {
  env: ApiEnv;
  logger: Logger;
  db: DbHandle;
  redis: Redis;
  queues: Queues;
}
