import { booleanFlag, commonEnv, durationMs, loadEnv, upstreamEnv } from '@pubcrawl/config';
import { z } from 'zod';

const share = z.coerce.number().min(0).max(1).default(0);
const optionalPerMinute = z.coerce.number().int().min(1).optional();

/** Configuration of the `pnpm sandbox` process. Every fault knob defaults to "off". */
export const sandboxEnv = z.object({
  SANDBOX_PORT: commonEnv.shape.SANDBOX_PORT,
  SANDBOX_HOST: upstreamEnv.shape.SANDBOX_HOST,
  LOG_LEVEL: commonEnv.shape.LOG_LEVEL,
  /** `<= 0` disables the quota. */
  SANDBOX_QUOTA_PER_SECOND: z.coerce.number().default(50),
  SANDBOX_BURST: z.coerce.number().min(1).optional(),
  SANDBOX_LATENCY_MS: durationMs(0),
  SANDBOX_ERROR_RATE: share,
  SANDBOX_RESET_RATE: share,
  SANDBOX_HANG_RATE: share,
  SANDBOX_HANG_MS: durationMs(120_000),
  SANDBOX_PUBLISH_DURATION_MS: durationMs(3_000),
  /** Turns per-account posting limits on, at 6/30/20 per minute unless overridden below. */
  SANDBOX_ACCOUNT_LIMITS: booleanFlag(false),
  SANDBOX_PUBLISH_PER_MINUTE: optionalPerMinute,
  SANDBOX_STATUS_PER_MINUTE: optionalPerMinute,
  SANDBOX_CREATOR_INFO_PER_MINUTE: optionalPerMinute,
  /** The API key's plan: below `maximum`, QR login answers 403 (seed 004). */
  SANDBOX_SUBSCRIPTION: z.enum(['free', 'basic', 'pro', 'maximum']).default('maximum'),
  /** Accepted posts per account per sandbox day before `spam_risk_too_many_posts`; unset = no cap. */
  SANDBOX_DAILY_POST_CAP: z.coerce.number().int().min(0).optional(),
  /** The sandbox day to start on (follower churn, growing stats); `PUT /__sandbox/config {day}` moves it. */
  SANDBOX_DAY: z.coerce.number().int().min(0).default(0),
  /** Seeds the fault PRNG so a run can be replayed. */
  SANDBOX_SEED: z.coerce.number().int().optional(),
});
export type SandboxEnv = z.infer<typeof sandboxEnv>;

export const env: SandboxEnv = loadEnv(sandboxEnv);
