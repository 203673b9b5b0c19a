import { describe, expect, it } from 'vitest';
import { AccountLimiter } from './account-limits';
import { DEFAULT_ACCOUNT_LIMITS } from './config';

describe('AccountLimiter', () => {
  it('allows the limit per sliding minute and says when the oldest call expires', () => {
    const clock = { now: 0 };
    const limiter = new AccountLimiter(() => clock.now);
    const limits = { ...DEFAULT_ACCOUNT_LIMITS, statusPerMinute: 2 };
    expect(limiter.consume(limits, 'status', 'a').allowed).toBe(true);
    clock.now = 10_000;
    expect(limiter.consume(limits, 'status', 'a').allowed).toBe(true);
    expect(limiter.consume(limits, 'status', 'a')).toEqual({ allowed: false, waitMs: 50_000 });
    expect(limiter.consume(limits, 'status', 'b').allowed).toBe(true);
    expect(limiter.consume(limits, 'creatorInfo', 'a').allowed).toBe(true);
    clock.now = 60_000;
    expect(limiter.consume(limits, 'status', 'a').allowed).toBe(true);
  });

  it('does nothing when limits are off', () => {
    const limiter = new AccountLimiter(() => 0);
    for (let index = 0; index < 100; index++) expect(limiter.consume(null, 'publish', 'a').allowed).toBe(true);
  });
});
