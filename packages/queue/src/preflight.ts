import { PREFLIGHT_TIMEOUT_MS, serviceAddress, type PreflightFailure } from '@pubcrawl/config';
import { Redis } from 'ioredis';

const START_REDIS = 'start it with `redis-server --daemonize yes` (or `docker compose up -d redis`), or point REDIS_URL at a running server';

/**
 * Connects once and sends PING, without the reconnect loop of a BullMQ connection: no retries, no
 * offline queue, and an 'error' listener, so an unreachable Redis yields one failure instead of
 * an 'error' event per reconnect attempt.
 */
export async function probeRedis(url: string, timeoutMs = PREFLIGHT_TIMEOUT_MS): Promise<PreflightFailure | null> {
  const address = serviceAddress(url, 6379);
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: null,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
  });
  let lastError: Error | undefined;
  client.on('error', (caught: unknown) => {
    lastError = caught instanceof Error ? caught : new Error(String(caught));
  });
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    // "Connection is closed" is ioredis giving up; the socket's own error says why.
    const cause = lastError ?? error;
    const code = (cause as { code?: unknown }).code;
    const answered = /NOAUTH|WRONGPASS|NOPERM|ERR /.test(error.message);
    return {
      variable: 'REDIS_URL',
      service: 'Redis',
      address,
      problem: answered ? `the server refused: ${error.message}` : `not reachable (${typeof code === 'string' ? code : cause.message || cause.name})`,
      hint: answered ? 'check the user and password in REDIS_URL' : START_REDIS,
    };
  } finally {
    client.disconnect();
  }
}
