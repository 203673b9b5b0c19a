import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonEnv, ConfigError, hashTag, parseEnv, redisEnv, redisTopology, redisTopologyEnv, upstreamEnv, type RedisTopology } from '../src/index';

const topologyOf = (source: Record<string, string>): RedisTopology => redisTopology(parseEnv(commonEnv, source));

function refusal(source: Record<string, string>): ConfigError {
  try {
    parseEnv(commonEnv, source);
  } catch (caught) {
    if (caught instanceof ConfigError) return caught;
    throw caught;
  }
  throw new Error(`accepted ${JSON.stringify(source)}`);
}

describe('the Redis topology in the environment', () => {
  it('is the standalone redis://127.0.0.1:6379 when nothing is set, and REDIS_URL when it is', () => {
    expect(topologyOf({})).toEqual({ kind: 'standalone', url: 'redis://127.0.0.1:6379' });
    expect(topologyOf({ REDIS_URL: 'rediss://:secret@cache.internal:6380/2' })).toEqual({ kind: 'standalone', url: 'rediss://:secret@cache.internal:6380/2' });
    expect(refusal({ REDIS_URL: 'http://cache.internal' }).variable).toBe('REDIS_URL');
  });

  it('is Sentinel with the sentinels, master name and both passwords', () => {
    expect(
      topologyOf({
        REDIS_SENTINELS: 's1.internal:26379, 10.0.0.2:26380,[::1]:26381',
        REDIS_SENTINEL_NAME: 'mymaster',
        REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
        REDIS_PASSWORD: 'data-secret',
      }),
    ).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1.internal', port: 26379 },
        { host: '10.0.0.2', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      name: 'mymaster',
      sentinelPassword: 'sentinel-secret',
      password: 'data-secret',
    });
  });

  it('is Cluster with the seed nodes and the password', () => {
    expect(topologyOf({ REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001', REDIS_PASSWORD: 'p' })).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
      ],
      password: 'p',
    });
  });

  it('refuses two topologies at once, naming the second variable', () => {
    const both = refusal({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: '127.0.0.1:7000' });
    expect(both.variable).toBe('REDIS_CLUSTER_NODES');
    expect(both.problem).toMatch(/only one of REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER_NODES/);
    expect(refusal({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER_NODES: 'b:2' }).variable).toBe('REDIS_CLUSTER_NODES');
  });

  it('refuses sentinels without a master name, and sentinel or password settings without their topology', () => {
    expect(refusal({ REDIS_SENTINELS: 'a:26379' }).variable).toBe('REDIS_SENTINEL_NAME');
    expect(refusal({ REDIS_SENTINEL_NAME: 'mymaster' }).variable).toBe('REDIS_SENTINEL_NAME');
    expect(refusal({ REDIS_SENTINEL_PASSWORD: 'x', REDIS_CLUSTER_NODES: 'a:1' }).variable).toBe('REDIS_SENTINEL_PASSWORD');
    expect(refusal({ REDIS_PASSWORD: 'x' }).problem).toMatch(/REDIS_URL/);
  });

  it('refuses lists that are not host:port', () => {
    for (const list of ['a', 'a:0', 'a:70000', 'a:b', ',', '[::1]']) {
      expect(refusal({ REDIS_CLUSTER_NODES: list }).variable, list).toBe('REDIS_CLUSTER_NODES');
    }
  });

  it('refuses a QUEUE_PREFIX without a hash tag under Cluster, where scripts need their keys in one slot', () => {
    expect(refusal({ REDIS_CLUSTER_NODES: 'a:7000', QUEUE_PREFIX: 'pubcrawl' }).variable).toBe('QUEUE_PREFIX');
    expect(refusal({ REDIS_CLUSTER_NODES: 'a:7000', QUEUE_PREFIX: '{}pubcrawl' }).variable).toBe('QUEUE_PREFIX');
    expect(topologyOf({ REDIS_URL: 'redis://a:6379', QUEUE_PREFIX: 'pubcrawl' }).kind).toBe('standalone');
    expect(hashTag('{pubcrawl}:quota:account:x')).toBe('pubcrawl');
    expect(hashTag('a{b}c{d}')).toBe('b');
    expect(hashTag('nobraces')).toBeNull();
  });

  it('keeps the rule when an app extends commonEnv, and round-trips through the variables', () => {
    // safeExtend, as the api and worker do: upstreamEnv repeats SANDBOX_PORT, which `.extend` refuses on a refined object.
    const extended = commonEnv.safeExtend(upstreamEnv.shape).extend({ EXTRA: z.string().optional() });
    expect(() => parseEnv(extended, { REDIS_SENTINELS: 'a:1' })).toThrow(/REDIS_SENTINEL_NAME/);
    const topologies: RedisTopology[] = [
      { kind: 'standalone', url: 'redis://h:1' },
      { kind: 'sentinel', sentinels: [{ host: 'a', port: 1 }], name: 'm', sentinelPassword: 's', password: 'p' },
      { kind: 'cluster', nodes: [{ host: 'b', port: 2 }, { host: '::1', port: 3 }] },
    ];
    for (const topology of topologies) expect(redisTopology(parseEnv(redisEnv, redisTopologyEnv(topology)))).toEqual(topology);
  });
});
