import { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { QuotaLimiter } from '../src/index';

describe('the quota limiter on a Redis Cluster connection', () => {
  // Never connected: the check is made at construction, before any script could be refused.
  const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
  afterAll(() => cluster.disconnect());

  it('refuses a key prefix without a hash tag, whose scopes would land in different slots', () => {
    expect(() => new QuotaLimiter({ redis: cluster, keyPrefix: 'pubcrawl:quota' })).toThrow(/hash tag/);
    expect(() => new QuotaLimiter({ redis: cluster, keyPrefix: '{}:quota' })).toThrow(/hash tag/);
  });

  it('accepts the default prefix and any prefix with a tag, like QUEUE_PREFIX {pubcrawl}', () => {
    expect(new QuotaLimiter({ redis: cluster }).keyPrefix).toBe('{pubcrawl}:quota');
    expect(new QuotaLimiter({ redis: cluster, keyPrefix: '{test-1}:quota' }).keyPrefix).toBe('{test-1}:quota');
  });
});
