import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedis, type TestRedis } from '@pubcrawl/testing';
import { QuotaLimiter, accountScope, apiKeyScope, hashApiKey, waitForTurn, type QuotaDecision } from '../src/index';

let redis: TestRedis;
/** A second connection, standing in for another worker process. */
let otherProcess: Redis;

beforeAll(async () => {
  redis = await testRedis();
  otherProcess = new Redis(redis.url);
});

afterAll(async () => {
  otherProcess.disconnect();
  await redis.cleanup();
});

const GRANTED = { granted: true, delayMs: 0 };

let counter = 0;
/** Each test gets its own key space under the file's prefix, so tests never share buckets. */
function limiterPair(options: Partial<ConstructorParameters<typeof QuotaLimiter>[0]> = {}) {
  const keyPrefix = `${redis.prefix}:quota-${++counter}`;
  return [
    new QuotaLimiter({ ...options, redis: redis.client, keyPrefix }),
    new QuotaLimiter({ ...options, redis: otherProcess, keyPrefix }),
  ] as const;
}

function denied(decision: QuotaDecision): Extract<QuotaDecision, { granted: false }> {
  if (decision.granted) throw new Error('expected a denial');
  return decision;
}

describe('QuotaLimiter', () => {
  it('denies once the rate is used up and grants again after the wait it names', async () => {
    const [limiter] = limiterPair({ limits: { apiKeyPerSecond: 10 }, apiKeyUtilization: 1, apiKeyBurst: 2 });
    const key = apiKeyScope('k-rate');
    expect(await limiter.acquire([key])).toEqual(GRANTED);
    expect(await limiter.acquire([key])).toEqual(GRANTED);
    const denial = denied(await limiter.acquire([key]));
    expect(denial.scope).toEqual(key);
    expect(denial.waitMs).toBeGreaterThan(0);
    expect(denial.waitMs).toBeLessThanOrEqual(100);
    await new Promise((resolve) => setTimeout(resolve, denial.waitMs + 5));
    expect(await limiter.acquire([key])).toEqual(GRANTED);
  });

  it('paces a shared key across processes to the configured rate', async () => {
    const [a, b] = limiterPair({ limits: { apiKeyPerSecond: 100 }, apiKeyUtilization: 1, apiKeyBurst: 1 });
    const key = apiKeyScope('k-shared');
    const started = Date.now();
    let granted = 0;
    // Two "processes" race for 300 ms; 100/s with no burst allows about 30 grants in total.
    await Promise.all(
      [a, b].map(async (limiter) => {
        while (Date.now() - started < 300) {
          await waitForTurn(limiter, [key], { maxWaitMs: 1000 });
          if (Date.now() - started < 300) granted++;
        }
      }),
    );
    expect(granted).toBeGreaterThanOrEqual(25);
    expect(granted).toBeLessThanOrEqual(32);
  });

  it('reserves a slot ahead instead of denying when the caller accepts a delay, one slot per interval', async () => {
    const [limiter] = limiterPair({ limits: { apiKeyPerSecond: 10 }, apiKeyUtilization: 1, apiKeyBurst: 1 });
    const key = apiKeyScope('k-reserve');
    expect(await limiter.acquire([key], { maxDelayMs: 1000 })).toEqual(GRANTED);
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      const decision = await limiter.acquire([key], { maxDelayMs: 1000 });
      if (!decision.granted) throw new Error('expected a reservation');
      delays.push(decision.delayMs);
    }
    // 10/s with no burst: slots 100 ms apart.
    expect(delays[0]).toBeGreaterThan(80);
    expect(delays[1]).toBeGreaterThan(180);
    expect(delays[2]).toBeGreaterThan(280);
    expect(delays[2]).toBeLessThanOrEqual(300);
    // Past the horizon it is a denial again, and a reservation never goes through a block.
    expect(denied(await limiter.acquire([key], { maxDelayMs: 100 })).waitMs).toBeGreaterThan(300);
    const other = apiKeyScope('k-reserve-blocked');
    await limiter.block(other, 200);
    expect(denied(await limiter.acquire([other], { maxDelayMs: 1000 })).scope).toEqual(other);
    expect(await limiter.blockedMs([key, other])).toBeGreaterThan(150);
  });

  it("makes a second process wait after the first one's 429 block, on that scope only", async () => {
    const [first, second] = limiterPair();
    const key = apiKeyScope('k-blocked');
    const other = apiKeyScope('k-free');
    await first.block(key, 400);
    const denial = denied(await second.acquire([key]));
    expect(denial.scope).toEqual(key);
    expect(denial.waitMs).toBeGreaterThan(300);
    expect(denial.waitMs).toBeLessThanOrEqual(400);
    expect(await second.acquire([other])).toEqual(GRANTED);
    await new Promise((resolve) => setTimeout(resolve, denial.waitMs + 5));
    expect(await second.acquire([key])).toEqual(GRANTED);
  });

  it('never shortens a longer block with a shorter one', async () => {
    const [limiter] = limiterPair();
    const key = apiKeyScope('k-long');
    await limiter.block(key, 2000);
    await limiter.block(key, 100);
    expect(denied(await limiter.acquire([key])).waitMs).toBeGreaterThan(1500);
  });

  it('takes nothing from any scope when one of them denies', async () => {
    const [limiter] = limiterPair({ limits: { apiKeyPerSecond: 1, publishPerMinute: 1 }, apiKeyUtilization: 1, apiKeyBurst: 1 });
    const key = apiKeyScope('k-atomic');
    const publishA = accountScope('publish', 'acct_a');
    expect(await limiter.acquire([publishA])).toEqual(GRANTED);
    // The account denies; the key must keep its single token.
    expect(denied(await limiter.acquire([key, publishA])).scope).toEqual(publishA);
    expect(await limiter.acquire([key])).toEqual(GRANTED);
  });

  it('counts account limits over a sliding minute and names the account scope when it denies', async () => {
    const [limiter] = limiterPair({ limits: { statusPerMinute: 3 } });
    const status = accountScope('status', 'acct_s');
    for (let i = 0; i < 3; i++) expect(await limiter.acquire([status])).toEqual(GRANTED);
    const denial = denied(await limiter.acquire([status]));
    expect(denial.scope).toEqual(status);
    expect(denial.waitMs).toBeGreaterThan(59_000);
    expect(await limiter.acquire([accountScope('status', 'acct_other')])).toEqual(GRANTED);
    expect(await limiter.acquire([accountScope('publish', 'acct_s')])).toEqual(GRANTED);
  });

  it('keys API keys by hash, never by the key itself', async () => {
    const [limiter] = limiterPair();
    await limiter.acquire([apiKeyScope('sk_live_super_secret')]);
    const keys = await redis.client.keys(`${limiter.keyPrefix}*`);
    expect(keys).toEqual([`${limiter.keyPrefix}:key:${hashApiKey('sk_live_super_secret')}`]);
    expect(keys.join()).not.toContain('super_secret');
  });
});
