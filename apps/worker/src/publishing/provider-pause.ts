import { pauseProvider } from '@pubcrawl/db';
import type { Provider } from '@pubcrawl/domain';
import type { UpstreamError } from '@pubcrawl/tiktok';
import type { WorkerContext } from '../context';
import { dispatchEvents, recordEvent } from '../events';

/**
 * The provider refused every account for a while (TikTok's `reached_active_user_cap`, until 00:00
 * UTC). Stored in Postgres, so every worker's holds see it and a Redis flush does not forget it;
 * `provider.paused` and the metric fire once per pause, not once per refused post.
 */
export async function pauseProviderForAll(context: WorkerContext, provider: Provider, until: Date, error: UpstreamError): Promise<void> {
  const delivery = await context.db.db.transaction(async (tx) => {
    const row = await pauseProvider(tx, provider, until, error.code ?? 'paused', error.message);
    if (row === null) return null;
    context.metrics.providerEvent(provider, 'paused');
    context.logger.warn({ provider, until: until.toISOString(), code: row.code }, 'the provider refused every account; pausing it');
    return recordEvent(context, tx, 'provider.paused', { provider, until: until.toISOString(), code: row.code, message: row.message }, `provider.paused:${provider}:${until.getTime()}`);
  });
  await dispatchEvents(context, [delivery]);
}
