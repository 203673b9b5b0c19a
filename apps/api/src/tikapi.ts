import { resolveUpstreams } from '@pubcrawl/config';
import type { RedisConnection } from '@pubcrawl/queue';
import { QuotaLimiter, TikApiClient } from '@pubcrawl/tiktok';
import type { ApiEnv } from './env';

/** Look-ups answer inside a client's request, so they give up well before a client would. */
const LOOKUP_TIMEOUT_MS = 10_000;

export interface ApiTikApi {
  client: TikApiClient;
  /** The same Redis bucket the workers' crawls draw from: look-ups and crawls share the key's quota. */
  quota: QuotaLimiter;
  close(): Promise<void>;
}

export function createApiTikApi(env: ApiEnv, redis: RedisConnection): ApiTikApi {
  const upstream = resolveUpstreams(env).tikapi;
  const client = new TikApiClient({ baseUrl: upstream.baseUrl, apiKey: upstream.apiKey, timeoutMs: LOOKUP_TIMEOUT_MS, connections: 8 });
  const quota = new QuotaLimiter({ redis, keyPrefix: `${env.QUEUE_PREFIX}:quota`, limits: { apiKeyPerSecond: env.TIKAPI_REQUESTS_PER_SECOND } });
  return {
    client,
    quota,
    async close() {
      await client.close();
      await quota.close();
    },
  };
}
