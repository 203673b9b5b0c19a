import { redisTopology, resolveUpstreams, type RedisTopology, type TikTokApp } from '@pubcrawl/config';
import { accountTokenStore, createDb, CredentialsCipher, type DbHandle } from '@pubcrawl/db';
import type { Logger } from '@pubcrawl/logger';
import { closeQueues, closeRedisConnection, createQueues, createRedisConnection, MetricsRecorder, type Queues, type RedisConnection } from '@pubcrawl/queue';
import { DEFAULT_QUOTA_LIMITS, hashApiKey, PostingClient, QuotaLimiter, TikApiClient, TikTokTokenKeeper, TikTokV2Client, type QuotaGate, type QuotaScope, type UpstreamResponseInfo } from '@pubcrawl/tiktok';
import type { WorkerEnv } from './env';

/** Everything a processor needs. Built once per process; closed once on shutdown. */
export interface WorkerContext {
  env: WorkerEnv;
  logger: Logger;
  db: DbHandle;
  /** The Redis every connection of this process goes to; each BullMQ Worker opens its own on it. */
  redisTopology: RedisTopology;
  /** BullMQ connection for queues (producers), the limiter and metrics in this process. */
  redis: RedisConnection;
  queues: Queues;
  tikapi: TikApiClient;
  posting: PostingClient;
  /** TikTok's own API (the `tiktok` provider), and the tokens of its accounts. */
  tiktok: TikTokV2Client;
  tiktokApp: TikTokApp;
  tiktokTokens: TikTokTokenKeeper;
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
  // Crawl pages hold a connection for their transaction; status polls and webhooks hold one only
  // briefly, so a quarter of their concurrency is plenty. Publishes have their own pool (publish-lane).
  const db = createDb(env.DATABASE_URL, {
    max: Math.max(10, env.CRAWL_CONCURRENCY + Math.ceil((env.PUBLISH_STATUS_CONCURRENCY + env.WEBHOOK_CONCURRENCY) / 4) + 2),
    applicationName: 'pubcrawl-worker',
  });
  const topology = redisTopology(env);
  const redis = createRedisConnection(topology, { connectionName: 'pubcrawl-worker' });
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
  const tiktok = new TikTokV2Client({
    baseUrl: upstreams.tiktok.baseUrl,
    authUrl: upstreams.tiktok.authUrl,
    clientKey: upstreams.tiktok.clientKey,
    clientSecret: upstreams.tiktok.clientSecret,
    timeoutMs: env.UPSTREAM_TIMEOUT_MS,
    // Publishes and polls share it; a publish must not queue for a socket inside its window.
    connections: env.PUBLISH_CONCURRENCY + 16,
    onResponse,
  });
  const cipher = CredentialsCipher.fromConfig(env.CREDENTIALS_KEY, env.DATABASE_URL);
  const tiktokTokens = new TikTokTokenKeeper({
    client: tiktok,
    store: accountTokenStore(db.db, cipher),
    refreshAheadMs: env.TIKTOK_REFRESH_AHEAD_MS,
    refreshTimeoutMs: env.UPSTREAM_TIMEOUT_MS,
    onRefresh: (outcome) => metrics.providerEvent('tiktok', outcome === 'refreshed' ? 'token_refreshed' : 'token_refresh_refused'),
  });
  const sharedKey = upstreams.tikapi.apiKey === upstreams.posting.apiKey;
  const limiterFor = (apiKeyPerSecond: number) =>
    new QuotaLimiter({
      redis,
      keyPrefix: `${env.QUEUE_PREFIX}:quota`,
      limits: {
        apiKeyPerSecond,
        publishPerMinute: env.ACCOUNT_PUBLISH_PER_MINUTE,
        statusPerMinute: env.ACCOUNT_STATUS_PER_MINUTE,
        creatorInfoPerMinute: env.ACCOUNT_CREATOR_INFO_PER_MINUTE,
      },
    });
  // One key used for both APIs (as with the sandbox) is one bucket, so the smaller rate is the
  // safe one. Distinct keys get a limiter each, paced at their own API's rate.
  const tikapiLimiter = limiterFor(
    sharedKey ? Math.min(env.TIKAPI_REQUESTS_PER_SECOND, env.POSTING_REQUESTS_PER_SECOND) : env.TIKAPI_REQUESTS_PER_SECOND,
  );
  const postingLimiter = sharedKey ? tikapiLimiter : limiterFor(env.POSTING_REQUESTS_PER_SECOND);
  // TikTok's per-token limits are TikTok's, not the posting API's configurable ones; its app-wide
  // bucket only ever carries blocks (reached_active_user_cap), so its pace is generous.
  const tiktokLimiter = new QuotaLimiter({ redis, keyPrefix: `${env.QUEUE_PREFIX}:quota`, limits: { ...DEFAULT_QUOTA_LIMITS, apiKeyPerSecond: 1_000 } });
  const postingKeyHash = hashApiKey(upstreams.posting.apiKey);
  const tiktokAppHash = hashApiKey(upstreams.tiktok.clientKey);
  const isTikTokScope = (scope: QuotaScope) => (scope.kind === 'account' ? scope.accountId.startsWith('tiktok-token:') : scope.keyHash === tiktokAppHash);
  // Account scopes are posting-API limits unless they name a TikTok token; an API-key scope names its key.
  const limiterOf = (scopes: readonly QuotaScope[]) => {
    if (scopes.some(isTikTokScope)) return tiktokLimiter;
    return scopes.some((scope) => scope.kind === 'account' || scope.keyHash === postingKeyHash) ? postingLimiter : tikapiLimiter;
  };
  const limiter: QuotaGate = {
    async acquire(scopes, options) {
      const decision = await limiterOf(scopes).acquire(scopes, options);
      if (!decision.granted) metrics.quotaWait(decision.scope.kind, decision.waitMs);
      // A reservation (granted for a slot slightly ahead) is a wait too, just a short one.
      else if (decision.delayMs > 0) metrics.quotaWait(scopes[0]?.kind ?? 'apiKey', decision.delayMs);
      return decision;
    },
    block: (scope, ms) => limiterOf([scope]).block(scope, ms),
    blockedMs: (scopes) => limiterOf(scopes).blockedMs(scopes),
    close: async () => {
      await tikapiLimiter.close();
      if (postingLimiter !== tikapiLimiter) await postingLimiter.close();
      await tiktokLimiter.close();
    },
  };
  let closed = false;
  return {
    env,
    logger,
    db,
    redisTopology: topology,
    redis,
    queues,
    tikapi,
    posting,
    tiktok,
    tiktokApp: upstreams.tiktok,
    tiktokTokens,
    limiter,
    metrics,
    cipher,
    upstreamKeys: { tikapi: upstreams.tikapi.apiKey, posting: upstreams.posting.apiKey },
    onUpstreamResponse,
    shutdown: new AbortController(),
    async close({ abandonInFlight = false } = {}) {
      if (closed) return;
      closed = true;
      // undici's close() waits for requests in flight, which may take up to UPSTREAM_TIMEOUT_MS.
      const clients = Promise.allSettled([tikapi.close(), posting.close(), tiktok.close()]);
      if (!abandonInFlight) await clients;
      await limiter.close();
      await metrics.close();
      await closeQueues(queues);
      await closeRedisConnection(redis);
      await db.close();
    },
  };
}
