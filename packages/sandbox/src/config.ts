import { z } from 'zod';
import { parseInput } from './input';

/** Per-account ceilings of the posting API, counted over a sliding 60 s window. */
export interface AccountLimits {
  /** Accepted `POST /api/content/post` per accountId per minute. Default 6. */
  publishPerMinute: number;
  /** `GET /api/content/status/...` calls per accountId per minute. Default 30. */
  statusPerMinute: number;
  /** `GET /api/content/creator-info/...` calls per accountId per minute. Default 20. */
  creatorInfoPerMinute: number;
}

export interface SandboxConfig {
  /** Token-bucket refill rate per API key, shared by both APIs. `<= 0` means unlimited. Default 50. */
  quotaPerSecond: number;
  /** Bucket capacity. Default: `quotaPerSecond`. */
  burst?: number;
  /** Delay added before every faultable answer. Default 0. */
  latencyMs: number;
  /** Share (0..1) of requests answered 500. Default 0. */
  errorRate: number;
  /** Share (0..1) of requests whose socket is destroyed without an answer. Default 0. */
  resetRate: number;
  /** Share (0..1) of requests that never answer. Default 0. */
  hangRate: number;
  /** How long a hung request holds its socket before destroying it. Default 120000. */
  hangMs: number;
  /** Time from a publish to its final status. Default 3000. */
  publishDurationMs: number;
  /** `null` disables per-account limits. Default null. */
  accountLimits: AccountLimits | null;
  /** The posting-API plan the API key is on; QR login answers 403 below `maximum`. Default `maximum`. */
  subscription: Subscription;
  /**
   * Accepted posts per account per sandbox `day`; the next one gets TikTok's
   * `spam_risk_too_many_posts`. `null` means no cap. Default null.
   */
  dailyPostCap: number | null;
  /** The sandbox day: the window the daily post cap counts in. Moving it starts a fresh count. Default 0. */
  day: number;
  /**
   * `expires_in` of TikTok v2 access tokens, in seconds. Default 86400: TikTok's pages disagree
   * (24 h against 2 h), which is why clients must read the answer rather than assume either.
   */
  tiktokAccessTtlS: number;
  /** `refresh_expires_in` of TikTok v2 refresh tokens, in seconds, from the first issuance. Default 31536000 (365 d). */
  tiktokRefreshTtlS: number;
  /** URL prefixes TikTok's `PULL_FROM_URL` accepts; any other `video_url` is `url_ownership_unverified`. Default `['https://cdn.example.com/']`. */
  tiktokVerifiedUrlPrefixes: string[];
  /** Whether the sandbox's TikTok app passed audit; unaudited apps may only post `SELF_ONLY`. Default false. */
  tiktokAudited: boolean;
}

export const SUBSCRIPTIONS = ['free', 'basic', 'pro', 'maximum'] as const;
export type Subscription = (typeof SUBSCRIPTIONS)[number];

export const DEFAULT_ACCOUNT_LIMITS: AccountLimits = {
  publishPerMinute: 6,
  statusPerMinute: 30,
  creatorInfoPerMinute: 20,
};

export const DEFAULT_CONFIG: SandboxConfig = {
  quotaPerSecond: 50,
  latencyMs: 0,
  errorRate: 0,
  resetRate: 0,
  hangRate: 0,
  hangMs: 120_000,
  publishDurationMs: 3_000,
  accountLimits: null,
  subscription: 'maximum',
  dailyPostCap: null,
  day: 0,
  tiktokAccessTtlS: 86_400,
  tiktokRefreshTtlS: 31_536_000,
  tiktokVerifiedUrlPrefixes: ['https://cdn.example.com/'],
  tiktokAudited: false,
};

const share = z.number().min(0).max(1);
// setTimeout silently clamps anything above 2^31-1 ms to 1 ms, which would turn a hang into a reset.
const timerMs = z.number().int().min(0).max(2_147_483_647);
const perMinute = z.number().int().min(1);

/**
 * What `PUT /__sandbox/config` accepts. `burst: null` returns the bucket size to its default;
 * `accountLimits` may be partial and is merged over the current limits (or the defaults).
 */
export const configPatchSchema = z.strictObject({
  quotaPerSecond: z.number().optional(),
  burst: z.number().min(1).nullable().optional(),
  latencyMs: timerMs.optional(),
  errorRate: share.optional(),
  resetRate: share.optional(),
  hangRate: share.optional(),
  hangMs: timerMs.optional(),
  publishDurationMs: timerMs.optional(),
  accountLimits: z
    .strictObject({
      publishPerMinute: perMinute.optional(),
      statusPerMinute: perMinute.optional(),
      creatorInfoPerMinute: perMinute.optional(),
    })
    .nullable()
    .optional(),
  subscription: z.enum(SUBSCRIPTIONS).optional(),
  dailyPostCap: z.number().int().min(0).nullable().optional(),
  day: z.number().int().min(0).optional(),
  tiktokAccessTtlS: z.number().int().min(1).optional(),
  tiktokRefreshTtlS: z.number().int().min(1).optional(),
  tiktokVerifiedUrlPrefixes: z.array(z.url()).optional(),
  tiktokAudited: z.boolean().optional(),
});
export type ConfigPatch = z.infer<typeof configPatchSchema>;

export type ConfigPatchResult = { ok: true; patch: ConfigPatch } | { ok: false; field: string; error: string };

export function parseConfigPatch(input: unknown): ConfigPatchResult {
  const parsed = parseInput(configPatchSchema, input);
  return parsed.ok ? { ok: true, patch: parsed.value } : parsed;
}

/** Drops keys whose value is `undefined`, so a TypeScript `Partial<SandboxConfig>` reads as a patch. */
export function patchFromPartial(partial: Partial<SandboxConfig>): ConfigPatchResult {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined));
  return parseConfigPatch(defined);
}

export function applyConfigPatch(base: SandboxConfig, patch: ConfigPatch): SandboxConfig {
  const next: SandboxConfig = {
    ...base,
    accountLimits: base.accountLimits === null ? null : { ...base.accountLimits },
    tiktokVerifiedUrlPrefixes: [...base.tiktokVerifiedUrlPrefixes],
  };
  if (patch.quotaPerSecond !== undefined) next.quotaPerSecond = patch.quotaPerSecond;
  if (patch.burst === null) delete next.burst;
  else if (patch.burst !== undefined) next.burst = patch.burst;
  if (patch.latencyMs !== undefined) next.latencyMs = patch.latencyMs;
  if (patch.errorRate !== undefined) next.errorRate = patch.errorRate;
  if (patch.resetRate !== undefined) next.resetRate = patch.resetRate;
  if (patch.hangRate !== undefined) next.hangRate = patch.hangRate;
  if (patch.hangMs !== undefined) next.hangMs = patch.hangMs;
  if (patch.publishDurationMs !== undefined) next.publishDurationMs = patch.publishDurationMs;
  if (patch.subscription !== undefined) next.subscription = patch.subscription;
  if (patch.dailyPostCap !== undefined) next.dailyPostCap = patch.dailyPostCap;
  if (patch.day !== undefined) next.day = patch.day;
  if (patch.tiktokAccessTtlS !== undefined) next.tiktokAccessTtlS = patch.tiktokAccessTtlS;
  if (patch.tiktokRefreshTtlS !== undefined) next.tiktokRefreshTtlS = patch.tiktokRefreshTtlS;
  if (patch.tiktokVerifiedUrlPrefixes !== undefined) next.tiktokVerifiedUrlPrefixes = [...patch.tiktokVerifiedUrlPrefixes];
  if (patch.tiktokAudited !== undefined) next.tiktokAudited = patch.tiktokAudited;
  if (patch.accountLimits === null) next.accountLimits = null;
  else if (patch.accountLimits !== undefined) {
    const current = base.accountLimits ?? DEFAULT_ACCOUNT_LIMITS;
    next.accountLimits = {
      publishPerMinute: patch.accountLimits.publishPerMinute ?? current.publishPerMinute,
      statusPerMinute: patch.accountLimits.statusPerMinute ?? current.statusPerMinute,
      creatorInfoPerMinute: patch.accountLimits.creatorInfoPerMinute ?? current.creatorInfoPerMinute,
    };
  }
  return next;
}

/** The bucket capacity actually in force. */
export function effectiveBurst(config: SandboxConfig): number {
  return config.burst ?? Math.max(1, config.quotaPerSecond);
}

export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError';
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(`invalid sandbox config: ${field}: ${problem}`);
  }
}

/** Builds a config from defaults and a typed partial, throwing on values zod rejects. */
export function resolveConfig(base: SandboxConfig, partial: Partial<SandboxConfig>): SandboxConfig {
  const parsed = patchFromPartial(partial);
  if (!parsed.ok) throw new InvalidConfigError(parsed.field, parsed.error);
  return applyConfigPatch(base, parsed.patch);
}
