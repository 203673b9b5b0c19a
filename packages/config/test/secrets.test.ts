import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { commonEnv, ConfigError, derivedCredentialsKeyWarning, formatPreflightFailure, parseEnv, requireCredentialsKeyInProduction, serviceAddress } from '../src/index';

const schema = commonEnv.superRefine(requireCredentialsKeyInProduction);
const KEY = 'ab'.repeat(32);

describe('requireCredentialsKeyInProduction', () => {
  it('refuses production without CREDENTIALS_KEY, naming the variable and how to make one', () => {
    let failure: unknown;
    try {
      parseEnv(schema, { NODE_ENV: 'production' });
    } catch (caught) {
      failure = caught;
    }
    expect(failure).toBeInstanceOf(ConfigError);
    expect(failure).toMatchObject({ variable: 'CREDENTIALS_KEY', problem: expect.stringContaining('openssl rand -hex 32') });
  });

  it('accepts production with a key, and development or test without one', () => {
    expect(parseEnv(schema, { NODE_ENV: 'production', CREDENTIALS_KEY: KEY }).CREDENTIALS_KEY).toBe(KEY);
    expect(parseEnv(schema, { NODE_ENV: 'development' }).CREDENTIALS_KEY).toBeUndefined();
    expect(parseEnv(schema, { NODE_ENV: 'test' }).CREDENTIALS_KEY).toBeUndefined();
  });

  it('leaves a warning for the derived key only when no key is set, on one line', () => {
    const warning = derivedCredentialsKeyWarning(parseEnv(z.object({ NODE_ENV: commonEnv.shape.NODE_ENV, CREDENTIALS_KEY: commonEnv.shape.CREDENTIALS_KEY }), {}));
    expect(warning).toContain('CREDENTIALS_KEY');
    expect(warning).not.toContain('\n');
    expect(derivedCredentialsKeyWarning({ NODE_ENV: 'development', CREDENTIALS_KEY: KEY })).toBeNull();
  });
});

describe('preflight lines', () => {
  it('show host and port but never the password of a service URL', () => {
    expect(serviceAddress('redis://user:hunter2@cache.internal:6380/0', 6379)).toBe('cache.internal:6380');
    expect(serviceAddress('postgres://postgres:hunter2@db/pubcrawl', 5432)).toBe('db:5432');
    const line = formatPreflightFailure({ variable: 'REDIS_URL', service: 'Redis', address: 'cache.internal:6380', problem: 'not reachable (ECONNREFUSED)', hint: 'start it' });
    expect(line).toBe('pubcrawl: cannot use Redis at cache.internal:6380 (REDIS_URL): not reachable (ECONNREFUSED); start it');
  });
});
