import { accountPolicyEnv, booleanFlag, checkTikTokApp, commonEnv, requireCredentialsKeyInProduction, upstreamEnv } from '@pubcrawl/config';
import { z } from 'zod';

// safeExtend: commonEnv carries the Redis topology refinement, and zod refuses `.extend` over its
// keys (upstreamEnv repeats SANDBOX_PORT) on a refined object.
export const apiEnvSchema = commonEnv.safeExtend(upstreamEnv.shape).safeExtend(accountPolicyEnv.shape).extend({
  HOST: z.string().default('0.0.0.0'),
  /**
   * Whose X-Forwarded-For to believe: `false` (default: the socket's address is the client), `true`
   * (any proxy), a hop count, or comma-separated proxy addresses/CIDRs. Rate limits count per client
   * address, so behind a proxy this decides whether clients share one budget.
   */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((value): boolean | string[] | ((address: string, hop: number) => boolean) => {
      if (value === 'false' || value === '0' || value === '') return false;
      if (value === 'true') return true;
      if (/^\d+$/.test(value)) {
        const hops = Number(value);
        return (_address, hop) => hop < hops;
      }
      return value
        .split(',')
        .map((entry) => entry.trim())
        .filter((entry) => entry.length > 0);
    }),
  /** Bull Board is off unless both are set: an open board can delete and retry jobs. */
  BOARD_USERNAME: z.string().optional(),
  BOARD_PASSWORD: z.string().optional(),
  BOARD_READ_ONLY: booleanFlag(false),
  /** When true, /metrics requires the same bearer key as /v1. */
  METRICS_REQUIRE_AUTH: booleanFlag(false),
  /** Optional allow-list of media hosts for posts (comma-separated). */
  MEDIA_HOSTS: z.string().default(''),
  /** The shortest gap a schedule's cron may allow between two ticks; 1 permits every second. */
  MIN_SCHEDULE_INTERVAL_S: z.coerce.number().int().min(1).max(86_400).default(60),
  /** The largest `maxItems` a crawl may ask for: a bigger crawl is a disk-filling accident. */
  CRAWL_MAX_ITEMS_LIMIT: z.coerce.number().int().min(1).max(100_000_000).default(1_000_000),
  /** Requests per minute per API key, fleet-wide (counted in Redis). */
  API_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(3_000),
  /** Failed /v1 or board logins per minute per client address before further attempts get a 429. */
  AUTH_FAILURES_PER_MINUTE: z.coerce.number().int().min(1).default(30),
  /**
   * Where webhooks go (the worker signs and delivers them). The API only records the events an
   * operator's action causes, such as resolving an unconfirmed post.
   */
  WEBHOOK_URL: z.url().optional(),
  /** A stored profile younger than this answers GET /v1/profiles/:username without an upstream call. */
  PROFILE_MAX_AGE_S: z.coerce.number().int().min(0).default(86_400),
  /** The same, for GET /v1/videos/:videoId. */
  VIDEO_MAX_AGE_S: z.coerce.number().int().min(0).default(3_600),
  /** The TikAPI key's pace, shared fleet-wide with the workers' crawls (the same Redis bucket). */
  TIKAPI_REQUESTS_PER_SECOND: z.coerce.number().positive().default(50),
  /** Largest accepted request body; posts are small JSON, so a large body is an attack or a bug. */
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
  /**
   * Where this API is reached from outside, for the OAuth redirect URI when TIKTOK_REDIRECT_URI is
   * unset (the sandbox). Default `http://127.0.0.1:<PORT>`.
   */
  PUBLIC_BASE_URL: z.url().optional(),
})
  .superRefine((env, context) => {
    // Like the worker's, the API's cipher must not fall back to a key derived from DATABASE_URL in production.
    requireCredentialsKeyInProduction(env, context);
    checkTikTokApp(env, context);
  });
export type ApiEnv = z.infer<typeof apiEnvSchema>;

export const apiEnvSource = process.env;
