import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedis, type TestRedis } from '@pubcrawl/testing';
import { accountScope, QuotaLimiter, QuotaWait, waitForQuota } from '../src/index';

let redis: TestRedis;

beforeAll(async () => {
  redis = await testRedis();
});

afterAll(async () => {
  await redis.cleanup();
});

// The worker's runner turns a QuotaWait into "delayed, no attempt spent" (apps/worker/test/runner-contract.test.ts).
describe('waitForQuota', () => {
  it("returns for a granted turn and throws QuotaWait, with the limiter's wait, for a denied one", async () => {
    const limiter = new QuotaLimiter({
      redis: redis.client,
      keyPrefix: `${redis.prefix}:quota`,
      accountLimit: (action, accountId) => (action === 'publish' && accountId === 'acct_A' ? 1 : undefined),
      limits: { publishPerMinute: 100 },
    });
    try {
      const scopes = [accountScope('publish', 'acct_A')];
      await expect(waitForQuota(await limiter.acquire(scopes))).resolves.toBeUndefined();
      const before = Date.now();
      const denied = await waitForQuota(await limiter.acquire(scopes)).then(
        () => null,
        (error: unknown) => error,
      );
      expect(denied).toBeInstanceOf(QuotaWait);
      // Parked until A's minute is over (plus at most a second of jitter), not retried in a hot loop.
      expect((denied as QuotaWait).untilMs).toBeGreaterThan(before + 50_000);
      expect((denied as QuotaWait).untilMs).toBeLessThan(before + 62_000);
      expect((denied as QuotaWait).scope).toEqual(scopes[0]);
    } finally {
      await limiter.close();
    }
  });
});
