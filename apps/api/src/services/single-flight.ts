import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisConnection } from '@pubcrawl/queue';

/** Deletes the lock only if it is still ours: a holder that overran its lease must not free the next one's. */
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface SingleFlightOptions {
  /** The lease; a holder that dies frees it after this. */
  leaseMs: number;
  /** How long a follower waits for the leader before giving up. */
  waitMs: number;
  pollMs?: number;
}

export class SingleFlightTimeout extends Error {
  override readonly name = 'SingleFlightTimeout';
}

/**
 * One caller in the whole fleet runs `lead` for `key` at a time; the others poll `settled` (a
 * Postgres read: did someone just store a fresh answer?) until it answers, the lock frees (then they
 * try to lead), or `waitMs` passes. Redis holds only the lock; the answer lives in Postgres, so a
 * follower in another process sees it as soon as it commits.
 */
export async function singleFlight<T>(
  redis: RedisConnection,
  key: string,
  lead: () => Promise<T>,
  settled: () => Promise<T | null>,
  options: SingleFlightOptions,
): Promise<{ value: T; led: boolean }> {
  const deadline = Date.now() + options.waitMs;
  const token = randomUUID();
  for (;;) {
    const acquired = await redis.set(key, token, 'PX', options.leaseMs, 'NX');
    if (acquired === 'OK') {
      try {
        return { value: await lead(), led: true };
      } finally {
        await redis.eval(RELEASE, 1, key, token);
      }
    }
    // Someone else leads: wait for their answer, or for the lock to free.
    for (;;) {
      await sleep(options.pollMs ?? 50);
      const value = await settled();
      if (value !== null) return { value, led: false };
      if (Date.now() > deadline) throw new SingleFlightTimeout(`no answer for ${key} within ${options.waitMs} ms`);
      if ((await redis.exists(key)) === 0) break;
    }
  }
}
