import { testServices } from '@pubcrawl/testing';
import { describe, expect, it } from 'vitest';
import { runToExit, type EntryPoint } from './startup-checks';

/** Every process that builds a credentials cipher, and the launcher that would spawn them. */
const CIPHER_HOLDERS: EntryPoint[] = ['api', 'worker', 'pnpm start'];

describe('CREDENTIALS_KEY in production', () => {
  it('is required: the api, the worker and pnpm start each print one line naming it and how to make one, and exit 1', { timeout: 60_000 }, async () => {
    const services = testServices();
    const env: Record<string, string | undefined> = {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: services.databaseUrl,
      REDIS_URL: services.redisUrl,
      API_KEYS: 'production-test-key',
      CREDENTIALS_KEY: undefined,
    };
    const results = await Promise.all(CIPHER_HOLDERS.map(async (entry) => ({ entry, ...(await runToExit(entry, env)) })));
    for (const { entry, code, stderr, output } of results) {
      expect({ entry, code }, output).toEqual({ entry, code: 1 });
      const lines = stderr.split('\n').filter((line) => line !== '');
      expect(lines, entry).toHaveLength(1);
      expect(lines[0]).toContain('CREDENTIALS_KEY');
      expect(lines[0]).toContain('openssl rand -hex 32');
      // Refused at configuration, before anything was started or logged.
      expect(output.trim(), entry).toBe(lines[0]);
    }
  });
});
