import { testServices, unusedPort } from '@pubcrawl/testing';
import { describe, expect, it } from 'vitest';
import { ENTRY_POINTS, runToExit, type EntryPoint } from './startup-checks';

/** The bound for an unreachable service: one line and exit 1 within this. */
const EXIT_WITHIN_MS = 15_000;
const ENTRIES = Object.keys(ENTRY_POINTS) as EntryPoint[];

function baseEnv(): Record<string, string | undefined> {
  const services = testServices();
  return {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    LOG_LEVEL: 'info',
    CREDENTIALS_KEY: undefined,
  };
}

describe('every process checks Postgres and Redis before it starts', () => {
  it('exits 1 within 15 s with at most 5 lines naming REDIS_URL and its address when Redis is not listening', { timeout: 60_000 }, async () => {
    const port = await unusedPort();
    const env = { ...baseEnv(), REDIS_URL: `redis://:redis-password@127.0.0.1:${port}` };
    const results = await Promise.all(ENTRIES.map(async (entry) => ({ entry, ...(await runToExit(entry, env)) })));
    for (const { entry, code, afterMs, lines, output } of results) {
      expect({ entry, code }, output).toEqual({ entry, code: 1 });
      expect(afterMs, entry).toBeLessThan(EXIT_WITHIN_MS);
      expect(lines.length, `${entry}:\n${output}`).toBeLessThanOrEqual(5);
      const line = lines.find((candidate) => candidate.includes('REDIS_URL'));
      expect(line, `${entry}:\n${output}`).toContain(`127.0.0.1:${port}`);
      expect(line).toMatch(/redis-server|docker compose/);
      expect(output).not.toContain('redis-password');
    }
  });

  it('exits 1 within 15 s with at most 5 lines naming DATABASE_URL and its address when Postgres is not listening', { timeout: 60_000 }, async () => {
    const port = await unusedPort();
    const env = { ...baseEnv(), DATABASE_URL: `postgres://postgres:pg-password@127.0.0.1:${port}/pubcrawl` };
    const results = await Promise.all(ENTRIES.map(async (entry) => ({ entry, ...(await runToExit(entry, env)) })));
    for (const { entry, code, afterMs, lines, output } of results) {
      expect({ entry, code }, output).toEqual({ entry, code: 1 });
      expect(afterMs, entry).toBeLessThan(EXIT_WITHIN_MS);
      expect(lines.length, `${entry}:\n${output}`).toBeLessThanOrEqual(5);
      const line = lines.find((candidate) => candidate.includes('DATABASE_URL'));
      expect(line, `${entry}:\n${output}`).toContain(`127.0.0.1:${port}`);
      expect(line).toMatch(/pg_ctlcluster|docker compose/);
      expect(output).not.toContain('pg-password');
    }
  });
});
