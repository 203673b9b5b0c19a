import type { DbHandle } from '@pubcrawl/db';
import type { Logger } from '@pubcrawl/logger';
import type { Queues, RedisConnection } from '@pubcrawl/queue';
import type { PostingClient } from '@pubcrawl/tiktok';
import type { ApiEnv } from './env';
import type { ApiTikApi } from './tikapi';
import type { ApiTikTok } from './tiktok';

/** Everything a route needs, built once in main.ts (or by a test) and handed to buildServer. */
export interface ApiContext {
  env: ApiEnv;
  logger: Logger;
  db: DbHandle;
  /** Standalone, Sentinel or Cluster, as configured. */
  redis: RedisConnection;
  queues: Queues;
  /** The posting API, for account linking, sync and creator_info; the worker has its own clients. */
  posting: PostingClient;
  /** TikAPI for the cached look-ups, with the fleet-wide quota. */
  tikapi: ApiTikApi;
  /** TikTok's own API: OAuth connect, and creator_info of tiktok accounts. */
  tiktok: ApiTikTok;
}
