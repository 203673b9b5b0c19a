import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { booleanFlag, commaList, commonEnv, ConfigError, formatConfigError, parseEnv, resolveUpstreams, upstreamEnv } from '../src/index';

describe('parseEnv', () => {
  it('applies the documented defaults', () => {
    const env = parseEnv(commonEnv, {});
    expect(env).toMatchObject({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/pubcrawl',
      QUEUE_PREFIX: '{pubcrawl}',
      PORT: 3000,
      SANDBOX_PORT: 4010,
      API_KEYS: [],
    });
  });

  it('names the variable and the problem in one short line', () => {
    const failure = (() => {
      try {
        parseEnv(commonEnv, { DATABASE_URL: 'not a url' });
        return null;
      } catch (caught) {
        return caught;
      }
    })();
    expect(failure).toBeInstanceOf(ConfigError);
    const line = formatConfigError(failure as ConfigError);
    expect(line).toContain('DATABASE_URL');
    expect(line).not.toContain('\n');
  });

  it('treats empty strings as unset, and reads booleans and lists the way operators write them', () => {
    const schema = z.object({ FLAG: booleanFlag(true), OFF: booleanFlag(true), KEYS: commaList() });
    expect(parseEnv(schema, { FLAG: '', OFF: 'false', KEYS: ' a,,b , ' })).toEqual({ FLAG: true, OFF: false, KEYS: ['a', 'b'] });
  });

  it('refuses a credentials key that is not 32 bytes', () => {
    expect(() => parseEnv(commonEnv, { CREDENTIALS_KEY: 'short' })).toThrow(/CREDENTIALS_KEY/);
    expect(parseEnv(commonEnv, { CREDENTIALS_KEY: 'ab'.repeat(32) }).CREDENTIALS_KEY).toBe('ab'.repeat(32));
  });
});

describe('resolveUpstreams', () => {
  it('points both APIs at the sandbox when no real keys are configured', () => {
    const upstreams = resolveUpstreams(parseEnv(upstreamEnv, { SANDBOX_PORT: '4999' }));
    expect(upstreams.tikapi).toMatchObject({ baseUrl: 'http://127.0.0.1:4999', isSandbox: true });
    expect(upstreams.posting).toMatchObject({ baseUrl: 'http://127.0.0.1:4999', isSandbox: true });
  });

  it('uses the real API when its key is set', () => {
    const upstreams = resolveUpstreams(parseEnv(upstreamEnv, { TIKAPI_API_KEY: 'k', TIKAPI_BASE_URL: 'https://api.example.test' }));
    expect(upstreams.tikapi).toEqual({ baseUrl: 'https://api.example.test', apiKey: 'k', isSandbox: false });
    expect(upstreams.posting.isSandbox).toBe(true);
  });
});
