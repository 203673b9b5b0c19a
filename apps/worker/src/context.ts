import { resolveUpstreams } from '@pubcrawl/config';
import { createDb, CredentialsCipher, type DbHandle } from '@pubcrawl/db';
import type { Logger } from '@pubcrawl/logger';
import { closeQueues, createQueues, createRedisConnection, MetricsRecorder, type Queues } from '@pubcrawl/queue';
import { PostingClient, QuotaLimiter, TikApiClient, type QuotaGate, type UpstreamResponseInfo } from '@pubcrawl/tiktok';
import type { Redis } from 'ioredis';
import type { WorkerEnv } from './env';

/** Everything a processor needs. Built once per process; closed once on shutdown. */
export interface WorkerContext {
  env: WorkerEnv;
  logger: Logger;
  db: DbHandle;
  /** BullMQ connection for queues (producers) in this process. */
  redis: Redis;
  queues: Queues;
  tikapi: TikApiClient;
  posting: PostingClient;
  /** The fleet-wide quota limiter, metered: every denial and its wait is counted for /metrics. */
  limiter: QuotaGate;
  metrics: MetricsRecorder;
  cipher: CredentialsCipher;
  /** Hashes of the upstream API keys, for quota scopes (see @pubcrawl/tiktok apiKeyScope). */
  upstreamKeys: { tikapi: string; posting: string };
  /** Observers of upstream responses (metrics); processors never call this directly. */
  onUpstreamResponse: Set<(info: UpstreamResponseInfo) => void>;
  /** Aborted on SIGTERM: long-running processors (crawls) yield at the next page boundary. */
  shutdown: AbortController;
  /**
   * Closes upstream clients, Redis and Postgres. `abandonInFlight` (after the runner handed jobs
   * back) does not wait for upstream answers still on their way: no job is left to receive them.
   */
  close(options?: { abandonInFlight?: boolean }): Promise<void>;
}

export function createWorkerContext(env: WorkerEnv, logger: Logger): WorkerContext {
  const upstreams = resolveUpstreams(env);
  const db = createDb(env.DATABASE_URL, { max: Math.max(10, env.CRAWL_CONCURRENCY + 5), applicationName: 'pubcrawl-worker' });
  const redis = createRedisConnection(env.REDIS_URL);
  const queues = createQueues({ connection: redis, prefix: env.QUEUE_PREFIX });
  const metrics = new MetricsRecorder(redis, env.QUEUE_PREFIX);
  const onUpstreamResponse = new Set<(info: UpstreamResponseInfo) => void>([
    (info) => metrics.upstreamResponse(info.upstream, info.endpoint, info.status),
  ]);
  const onResponse = (info: UpstreamResponseInfo) => {
    for (const observer of onUpstreamResponse) observer(info);
  };
  const tikapi = new TikApiClient({
    baseUrl: upstreams.tikapi.baseUrl,
    apiKey: upstreams.tikapi.apiKey,
    timeoutMs: env.UPSTREAM_TIMEOUT_MS,
    defaultRetryAfterMs: env.DEFAULT_RETRY_AFTER_MS,
    onResponse,
  });
  const posting = new PostingClient({
    baseUrl: upstreams.posting.baseUrl,
    apiKey: upstreams.posting.apiKey,
    timeoutMs: env.UPSTREAM_TIMEOUT_MS,
    defaultRetryAfterMs: env.DEFAULT_RETRY_AFTER_MS,
    onResponse,
  });
  const quotaLimiter = new QuotaLimiter({
    redis,
    keyPrefix: `${env.QUEUE_PREFIX}:quota`,
    limits: {
      // Both APIs may share one key (as in the sandbox); the scope is per key, so the
      // smaller of the two rates is the safe one when they are equal keys.
      apiKeyPerSecond: upstreams.tikapi.apiKey === upstreams.posting.apiKey
        ? Math.min(env.TIKAPI_REQUESTS_PER_SECOND, env.POSTING_REQUESTS_PER_SECOND)
        : env.TIKAPI_REQUESTS_PER_SECOND,
      publishPerMinute: env.ACCOUNT_PUBLISH_PER_MINUTE,
      statusPerMinute: env.ACCOUNT_STATUS_PER_MINUTE,
      creatorInfoPerMinute: env.ACCOUNT_CREATOR_INFO_PER_MINUTE,
    },
  });
  const limiter: QuotaGate = {
    async acquire(scopes, options) {
      const decision = await quotaLimiter.acquire(scopes, options);
      if (!decision.granted) metrics.quotaWait(decision.scope.kind, decision.waitMs);
      // A reservation (granted for a slot slightly ahead) is a wait too, just a short one.
      else if (decision.delayMs > 0) metrics.quotaWait(scopes[0]?.kind ?? 'apiKey', decision.delayMs);
      return decision;
    },
    block: (scope, ms) => quotaLimiter.block(scope, ms),
    blockedMs: (scopes) => quotaLimiter.blockedMs(scopes),
    close: () => quotaLimiter.close(),
  };
  let closed = false;
  return {
    env,
    logger,
    db,
    redis,
    queues,
    tikapi,
    posting,
    limiter,
    metrics,
    cipher: CredentialsCipher.fromConfig(env.CREDENTIALS_KEY, env.DATABASE_URL),
    upstreamKeys: { tikapi: upstreams.tikapi.apiKey, posting: upstreams.posting.apiKey },
    onUpstreamResponse,
    shutdown: new AbortController(),
    async close({ abandonInFlight = false } = {}) {
      if (closed) return;
      closed = true;
      // undici's close() waits for requests in flight, which may take up to UPSTREAM_TIMEOUT_MS.
      const clients = Promise.allSettled([tikapi.close(), posting.close()]);
      if (!abandonInFlight) await clients;
      await limiter.close();
      await metrics.close();
      await closeQueues(queues);
      await redis.quit().catch(() => redis.disconnect());
      await db.close();
    },
  };
}
