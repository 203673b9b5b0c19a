import { createLogger } from '@pubcrawl/logger';
import { DEFAULT_ACCOUNT_LIMITS, type SandboxConfig } from './config';
import { env } from './env';
import { toError } from './errors';
import { startSandbox } from './index';

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
  logger.info({ url: sandbox.url, config }, 'sandbox listening');

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second Ctrl-C while closing should not start a second close.
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'sandbox stopping');
    sandbox.close().then(
      () => process.exit(0),
      (caught: unknown) => {
        logger.error({ err: toError(caught) }, 'sandbox failed to close cleanly');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (caught) {
  logger.fatal({ err: toError(caught) }, 'sandbox failed to start');
  process.exit(1);
}
