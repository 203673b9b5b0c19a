import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection for BullMQ. `maxRetriesPerRequest: null` is what BullMQ requires of worker
 * connections: blocking commands must wait through a reconnect instead of failing the job.
 */
export function createRedisConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/** For HTTP request paths: fail fast instead of queueing commands while Redis is down. */
export function createRequestRedisConnection(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000, ...options });
}

/** How long a shutdown waits for BullMQ objects that are still connecting (see below). */
const SETTLE_LIMIT_MS = 5_000;

/**
 * Waits, at most `limitMs`, until BullMQ queues or workers have finished connecting. Closing one
 * whose connection is still initializing makes BullMQ emit that connection's failure after it has
 * removed every listener (taskforcesh/bullmq#3546), which crashes the process on its way out: a
 * worker stopped right after it started exited 1 about half the time. If Redis cannot be reached
 * within the limit, the close goes ahead anyway.
 */
export async function settleConnections(items: ReadonlyArray<{ waitUntilReady(): Promise<unknown> }>, limitMs = SETTLE_LIMIT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, limitMs);
  });
  const ready = Promise.all(items.map((item) => item.waitUntilReady().catch(() => undefined)));
  await Promise.race([ready, limit]);
  clearTimeout(timer);
}
