import { createLogger, exitOnSignal } from '@pubcrawl/logger';
import { DEFAULT_ACCOUNT_LIMITS, startSandbox, type SandboxConfig } from '@pubcrawl/sandbox';
import { env } from './env';
import { toError } from '@pubcrawl/errors';

const logger = createLogger({ name: 'sandbox', level: env.LOG_LEVEL });

const config: Partial<SandboxConfig> = {
  quotaPerSecond: env.SANDBOX_QUOTA_PER_SECOND,
  latencyMs: env.SANDBOX_LATENCY_MS,
  errorRate: env.SANDBOX_ERROR_RATE,
  resetRate: env.SANDBOX_RESET_RATE,
  hangRate: env.SANDBOX_HANG_RATE,
  hangMs: env.SANDBOX_HANG_MS,
  publishDurationMs: env.SANDBOX_PUBLISH_DURATION_MS,
  accountLimits: env.SANDBOX_ACCOUNT_LIMITS
    ? {
        publishPerMinute: env.SANDBOX_PUBLISH_PER_MINUTE ?? DEFAULT_ACCOUNT_LIMITS.publishPerMinute,
        statusPerMinute: env.SANDBOX_STATUS_PER_MINUTE ?? DEFAULT_ACCOUNT_LIMITS.statusPerMinute,
        creatorInfoPerMinute: env.SANDBOX_CREATOR_INFO_PER_MINUTE ?? DEFAULT_ACCOUNT_LIMITS.creatorInfoPerMinute,
      }
    : null,
  subscription: env.SANDBOX_SUBSCRIPTION,
  dailyPostCap: env.SANDBOX_DAILY_POST_CAP ?? null,
  day: env.SANDBOX_DAY,
  ...(env.SANDBOX_BURST === undefined ? {} : { burst: env.SANDBOX_BURST }),
};

try {
  const sandbox = await startSandbox({
    port: env.SANDBOX_PORT,
    host: env.SANDBOX_HOST,
    config,
    logger,
    ...(env.SANDBOX_SEED === undefined ? {} : { seed: env.SANDBOX_SEED }),
  });
  exitOnSignal(logger, async (signal) => {
    logger.info({ signal }, 'sandbox stopping');
    await sandbox.close();
  });
  // Only once the handler is in place: a supervisor may signal as soon as it reads this line.
  logger.info({ url: sandbox.url, config }, 'sandbox listening');
} catch (caught) {
  logger.fatal({ err: toError(caught) }, 'sandbox failed to start');
  process.exit(1);
}
