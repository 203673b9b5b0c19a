import { describe, expect, it } from 'vitest';
import { QuotaBuckets, retryAfterSeconds } from './quota';

describe('QuotaBuckets', () => {
  it('allows a full burst, then refills at the configured rate', () => {
    const clock = { now: 0 };
    const buckets = new QuotaBuckets(() => clock.now);
    for (let index = 0; index < 3; index++) expect(buckets.take('k', 10, 3)).toEqual({ allowed: true });
    expect(buckets.take('k', 10, 3)).toEqual({ allowed: false, waitMs: 100 });
    clock.now += 60;
    const partial = buckets.take('k', 10, 3);
    expect(partial.allowed).toBe(false);
    expect(partial.allowed === false && partial.waitMs).toBeCloseTo(40);
    clock.now += 40;
    expect(buckets.take('k', 10, 3)).toEqual({ allowed: true });
  });

  it('never stores more than the capacity, however long a key was idle', () => {
    const clock = { now: 0 };
    const buckets = new QuotaBuckets(() => clock.now);
    buckets.take('k', 1, 2);
    clock.now += 60_000;
    expect(buckets.take('k', 1, 2).allowed).toBe(true);
    expect(buckets.take('k', 1, 2).allowed).toBe(true);
    expect(buckets.take('k', 1, 2).allowed).toBe(false);
  });

  it('treats a rate of zero or less as unlimited and keeps keys apart', () => {
    const buckets = new QuotaBuckets(() => 0);
    for (let index = 0; index < 100; index++) expect(buckets.take('free', 0, 1).allowed).toBe(true);
    expect(buckets.take('a', 1, 1).allowed).toBe(true);
    expect(buckets.take('b', 1, 1).allowed).toBe(true);
    expect(buckets.take('a', 1, 1).allowed).toBe(false);
  });
});

describe('retryAfterSeconds', () => {
  it('rounds up to whole seconds and never says 0', () => {
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1_000)).toBe(1);
    expect(retryAfterSeconds(1_001)).toBe(2);
    expect(retryAfterSeconds(0)).toBe(1);
  });
});
