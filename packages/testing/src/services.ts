/**
 * Where the tests' Postgres and Redis are. Explicit URLs win (TEST_* first, then the app's own
 * variables); otherwise testcontainers starts postgres:16 and redis:7 where a Docker engine answers;
 * otherwise the local defaults, which is what a machine with native services wants.
 */
export interface TestServices {
  /** A URL on the test Postgres server; its database part is replaced per test. */
  databaseUrl: string;
  redisUrl: string;
  source: 'env' | 'testcontainers' | 'defaults';
}

export interface StartedServices extends TestServices {
  stop(): Promise<void>;
}

const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

function fromEnv(): { databaseUrl?: string; redisUrl?: string } {
  return {
    databaseUrl: process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined,
    redisUrl: process.env.TEST_REDIS_URL || process.env.REDIS_URL || undefined,
  };
}

async function dockerAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export async function startServices(): Promise<StartedServices> {
  const env = fromEnv();
  if (env.databaseUrl && env.redisUrl) {
    return { databaseUrl: env.databaseUrl, redisUrl: env.redisUrl, source: 'env', stop: async () => undefined };
  }
  if (await dockerAnswers()) {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const { RedisContainer } = await import('@testcontainers/redis');
    const [postgres, redis] = await Promise.all([
      env.databaseUrl ? null : new PostgreSqlContainer('postgres:16').start(),
      env.redisUrl ? null : new RedisContainer('redis:7').start(),
    ]);
    return {
      databaseUrl: env.databaseUrl ?? postgres?.getConnectionUri() ?? DEFAULT_DATABASE_URL,
      redisUrl: env.redisUrl ?? redis?.getConnectionUrl() ?? DEFAULT_REDIS_URL,
      source: 'testcontainers',
      async stop() {
        await Promise.all([postgres?.stop(), redis?.stop()]);
      },
    };
  }
  return {
    databaseUrl: env.databaseUrl ?? DEFAULT_DATABASE_URL,
    redisUrl: env.redisUrl ?? DEFAULT_REDIS_URL,
    source: 'defaults',
    stop: async () => undefined,
  };
}

export function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}
