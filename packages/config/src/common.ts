import { z } from 'zod';
import { booleanFlag, commaList, port } from './fields';
import { checkRedisTopology, redisEnvFields } from './redis-topology';

const postgresUrl = z
  .string()
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'postgres:' || url.protocol === 'postgresql:';
    } catch {
      return false;
    }
  }, 'must be a postgres:// URL')
  .default('postgres://postgres@127.0.0.1:5432/pubcrawl');

/**
 * Variables every pubcrawl process understands, without the cross-variable rules: zod refuses to
 * `.pick()` from a refined object, so a schema that needs only a few of these picks from here.
 * Picking any Redis variable means applying `checkRedisTopology` too.
 */
export const commonEnvFields = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  DATABASE_URL: postgresUrl,
  /** One of REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES; see redis-topology.ts and `redisTopology(env)`. */
  ...redisEnvFields,
  /** The braces make every queue key share one Redis Cluster hash slot, which BullMQ requires. */
  QUEUE_PREFIX: z.string().min(1).default('{pubcrawl}'),
  PORT: port(3000),
  SANDBOX_PORT: port(4010),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  API_KEYS: commaList(),
  /** 32 bytes, hex or base64; encrypts stored account credentials with AES-256-GCM. */
  CREDENTIALS_KEY: z
    .string()
    .refine((value) => decodeKey(value) !== null, 'must be 32 bytes as 64 hex characters or base64')
    .optional(),
});

/**
 * Every process's schema extends this one (`.extend` keeps the refinement, so each of them refuses
 * two Redis topologies at once or a sentinel list without its master name).
 */
export const commonEnv = commonEnvFields.superRefine(checkRedisTopology);
export type CommonEnv = z.infer<typeof commonEnv>;

function decodeKey(value: string): Buffer | null {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  const fromBase64 = Buffer.from(value, 'base64');
  return fromBase64.length === 32 ? fromBase64 : null;
}

export const DEFAULT_TIKTOK_SCOPES = ['user.info.basic', 'video.publish', 'video.upload', 'video.list'] as const;

/** Upstream API locations. Unset keys mean "use the local sandbox". */
export const upstreamEnv = z.object({
  TIKAPI_BASE_URL: z.url().optional(),
  TIKAPI_API_KEY: z.string().optional(),
  POSTING_BASE_URL: z.url().optional(),
  POSTING_API_KEY: z.string().optional(),
  /** TikTok's own Content Posting API (the `tiktok` provider). No client key: the sandbox's twin. */
  TIKTOK_CLIENT_KEY: z.string().min(1).optional(),
  TIKTOK_CLIENT_SECRET: z.string().min(1).optional(),
  /** Registered with the TikTok app; where the authorize page sends the user back (our /v1/oauth/tiktok/callback). */
  TIKTOK_REDIRECT_URI: z.url().optional(),
  TIKTOK_BASE_URL: z.url().optional(),
  TIKTOK_AUTH_URL: z.url().optional(),
  TIKTOK_SCOPES: commaList().transform((scopes) => (scopes.length === 0 ? [...DEFAULT_TIKTOK_SCOPES] : scopes)),
  SANDBOX_HOST: z.string().default('127.0.0.1'),
  SANDBOX_PORT: port(4010),
  /**
   * Where a browser reaches the sandbox, for its TikTok authorize page when no client key is set
   * (in Docker Compose the services call `http://sandbox:4010`, the browser `http://localhost:4010`).
   * Default: the sandbox URL.
   */
  SANDBOX_PUBLIC_URL: z.url().optional(),
});
export type UpstreamEnv = z.infer<typeof upstreamEnv>;

/**
 * A real TikTok app needs its secret everywhere, and the API its redirect URI too: half of them
 * would fail at the first connect or refresh.
 */
export function checkTikTokApp(
  env: Pick<UpstreamEnv, 'TIKTOK_CLIENT_KEY' | 'TIKTOK_CLIENT_SECRET' | 'TIKTOK_REDIRECT_URI'>,
  context: z.RefinementCtx,
  options: { needsRedirectUri: boolean } = { needsRedirectUri: true },
): void {
  if (env.TIKTOK_CLIENT_KEY === undefined) return;
  if (env.TIKTOK_CLIENT_SECRET === undefined) context.addIssue({ code: 'custom', path: ['TIKTOK_CLIENT_SECRET'], message: 'is required when TIKTOK_CLIENT_KEY is set' });
  if (options.needsRedirectUri && env.TIKTOK_REDIRECT_URI === undefined) context.addIssue({ code: 'custom', path: ['TIKTOK_REDIRECT_URI'], message: 'is required when TIKTOK_CLIENT_KEY is set (the redirect URI registered with the app)' });
}

/**
 * How an account may post, read by the API (to warn and refuse at create time) and the worker (to
 * hold posts back), so both sides count the same limits.
 */
export const accountPolicyEnv = z.object({
  /** Publishes per account per sliding minute (the provider's own per-token ceiling is 6). */
  ACCOUNT_PUBLISH_PER_MINUTE: z.coerce.number().int().min(1).default(6),
  /**
   * Posts per account over a rolling 24 h. TikTok refuses past a cap it does not publish
   * (spam_risk_too_many_posts; integrators report about 15), so staying under it is cheaper than
   * learning it from refusals.
   */
  ACCOUNT_DAILY_POSTS: z.coerce.number().int().min(1).default(15),
  /** How long a creator_info answer is trusted before the next post re-reads it. */
  CREATOR_INFO_TTL_S: z.coerce.number().int().min(0).default(600),
  /** Same account and same content within this window is refused unless `allowDuplicate`. 0 turns the guard off. */
  DUPLICATE_WINDOW_HOURS: z.coerce.number().min(0).max(8_760).default(24),
  /** How often a due post on a paused, unlinked or capped account looks again, as a backstop to the explicit resume. */
  ACCOUNT_WAIT_RECHECK_MS: z.coerce.number().int().min(100).default(60_000),
  /** How often a pending QR link is checked with the provider (seed 004 asks for 10 s). */
  ACCOUNT_LINK_POLL_MS: z.coerce.number().int().min(50).default(10_000),
  /**
   * Whether the TikTok app passed TikTok's audit. Until it has, TikTok publishes only `SELF_ONLY`
   * posts, so the API refuses any other privacy level for tiktok accounts up front.
   */
  TIKTOK_APP_AUDITED: booleanFlag(false),
  /** How tiktok posts hand TikTok the media, unless a post says otherwise (`settings.uploadMode`). */
  TIKTOK_UPLOAD_MODE: z.enum(['pull', 'file']).default('pull'),
  /**
   * Media URLs on loopback, private, link-local or cloud-metadata addresses are refused unless this
   * is true: by the API at create time (by name), and by the worker before it fetches a FILE_UPLOAD
   * (by the addresses the name resolves to). Such a URL is how SSRF reaches a network.
   */
  MEDIA_ALLOW_PRIVATE_HOSTS: booleanFlag(false),
  /** A tiktok access token this close to expiry is refreshed before it is used (api and worker alike). */
  TIKTOK_REFRESH_AHEAD_MS: z.coerce.number().int().min(0).default(5 * 60_000),
});
export type AccountPolicyEnv = z.infer<typeof accountPolicyEnv>;

export interface TikTokApp {
  baseUrl: string;
  authUrl: string;
  clientKey: string;
  clientSecret: string;
  /** Null with the sandbox: the API derives it from its own address. */
  redirectUri: string | null;
  scopes: string[];
  isSandbox: boolean;
}

export interface Upstreams {
  tikapi: { baseUrl: string; apiKey: string; isSandbox: boolean };
  posting: { baseUrl: string; apiKey: string; isSandbox: boolean };
  tiktok: TikTokApp;
}

/** The sandbox twin's own app (packages/sandbox: `PUT /__sandbox/tiktok/app` changes it). */
export const SANDBOX_TIKTOK_APP = { clientKey: 'sbx_client_key', clientSecret: 'sbx_client_secret' } as const;

/** The sandbox accepts any non-empty key; this one makes sandbox traffic obvious in its stats. */
const SANDBOX_KEY = 'sandbox-key';

export function resolveUpstreams(env: UpstreamEnv): Upstreams {
  const sandboxUrl = `http://${env.SANDBOX_HOST}:${env.SANDBOX_PORT}`;
  const tikapiSandbox = env.TIKAPI_API_KEY === undefined;
  const postingSandbox = env.POSTING_API_KEY === undefined;
  return {
    tikapi: {
      baseUrl: env.TIKAPI_BASE_URL ?? sandboxUrl,
      apiKey: env.TIKAPI_API_KEY ?? SANDBOX_KEY,
      isSandbox: tikapiSandbox,
    },
    posting: {
      baseUrl: env.POSTING_BASE_URL ?? sandboxUrl,
      apiKey: env.POSTING_API_KEY ?? SANDBOX_KEY,
      isSandbox: postingSandbox,
    },
    tiktok: resolveTikTokApp(env, sandboxUrl),
  };
}

function resolveTikTokApp(env: UpstreamEnv, sandboxUrl: string): TikTokApp {
  const clientKey = env.TIKTOK_CLIENT_KEY;
  if (clientKey === undefined) {
    return {
      baseUrl: env.TIKTOK_BASE_URL ?? sandboxUrl,
      authUrl: env.TIKTOK_AUTH_URL ?? env.SANDBOX_PUBLIC_URL ?? sandboxUrl,
      ...SANDBOX_TIKTOK_APP,
      redirectUri: env.TIKTOK_REDIRECT_URI ?? null,
      scopes: env.TIKTOK_SCOPES,
      isSandbox: true,
    };
  }
  return {
    baseUrl: env.TIKTOK_BASE_URL ?? 'https://open.tiktokapis.com',
    authUrl: env.TIKTOK_AUTH_URL ?? 'https://www.tiktok.com',
    clientKey,
    clientSecret: env.TIKTOK_CLIENT_SECRET ?? '',
    redirectUri: env.TIKTOK_REDIRECT_URI ?? null,
    scopes: env.TIKTOK_SCOPES,
    isSandbox: false,
  };
}

export { decodeKey };
