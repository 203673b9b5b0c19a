import { spawn, type ChildProcess } from 'node:child_process';
import { captureOutput, signalAndWait, testDatabase, testRedis, unusedPort, waitFor, type TestDatabase, type TestRedis } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './startup-checks';

const BANNER = 'pubcrawl is running';
const GRACE_MS = 2_000;
const OPERATOR_KEY = 'operator-set-api-key-4f9c2d7a1b';
const OPERATOR_PASSWORD = 'operator-set-board-password-8e3b';

interface Run {
  output: () => string;
  port: number;
  child: ChildProcess;
}

/**
 * `pnpm start`'s launcher (infra/start.mjs) on this file's database, up to its banner. The full
 * `pnpm` wrapper and its signal path are start.test.ts's business; the banner is the launcher's.
 */
async function startLauncher(database: TestDatabase, redis: TestRedis, secrets: { API_KEYS?: string; BOARD_PASSWORD?: string }, running: ChildProcess[]): Promise<Run> {
  const [port, sandboxPort] = [await unusedPort(), await unusedPort()];
  const env: Record<string, string | undefined> = {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: redis.prefix,
    PORT: String(port),
    SANDBOX_PORT: String(sandboxPort),
    SHUTDOWN_GRACE_MS: String(GRACE_MS),
    // Every log line the processes write is searched for the secrets, so log as much as usual.
    LOG_LEVEL: 'info',
    API_KEYS: secrets.API_KEYS,
    BOARD_USERNAME: undefined,
    BOARD_PASSWORD: secrets.BOARD_PASSWORD,
    TIKAPI_API_KEY: undefined,
    POSTING_API_KEY: undefined,
  };
  const child = spawn(process.execPath, ['infra/start.mjs'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  const output = captureOutput(child);
  await waitFor(() => output().includes(BANNER) || child.exitCode !== null, { timeoutMs: 90_000, intervalMs: 100, describe: () => output() });
  expect(child.exitCode, output()).toBeNull();
  // Let the children log what they log after readiness, too.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return { output, port, child };
}

async function ping(port: number, key: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/ping`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ echo: 'hi' }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe("pnpm start's banner", () => {
  const databases: TestDatabase[] = [];
  const redises: TestRedis[] = [];
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i += 1) {
      databases.push(await testDatabase());
      redises.push(await testRedis());
    }
  });
  afterAll(async () => {
    const alive = running.filter((child) => child.exitCode === null && child.signalCode === null);
    await Promise.all(alive.map((child) => signalAndWait(child, 'SIGTERM', GRACE_MS + 8_000)));
    await Promise.all(redises.map((redis) => redis.cleanup()));
    await Promise.all(databases.map((database) => database.cleanup()));
  });

  it('never prints an API key or board password the operator set, and prints the ones it generated, in the banner only', { timeout: 150_000 }, async () => {
    const [database0, database1, redis0, redis1] = [databases[0], databases[1], redises[0], redises[1]];
    if (!database0 || !database1 || !redis0 || !redis1) throw new Error('fixtures missing');
    // Both launches at once: each takes seconds, mostly waiting for its children to come up.
    const [operator, generated] = await Promise.all([
      startLauncher(database0, redis0, { API_KEYS: `${OPERATOR_KEY},second-operator-key-77`, BOARD_PASSWORD: OPERATOR_PASSWORD }, running),
      startLauncher(database1, redis1, {}, running),
    ]);

    const operatorOutput = operator.output();
    expect(operatorOutput).not.toContain(OPERATOR_KEY);
    expect(operatorOutput).not.toContain('second-operator-key-77');
    expect(operatorOutput).not.toContain(OPERATOR_PASSWORD);
    // Masked, not gone: the banner still says where the credentials come from, and the key works.
    expect(operatorOutput).toContain('API_KEYS');
    expect(operatorOutput).toContain('BOARD_PASSWORD');
    expect(await ping(operator.port, OPERATOR_KEY)).toBe(200);

    const generatedOutput = generated.output();
    const key = /Authorization: Bearer (\S+?)\)/.exec(generatedOutput)?.[1];
    const password = /\(user admin, password (\S+)\)/.exec(generatedOutput)?.[1];
    expect(key, generatedOutput).toMatch(/^pc_dev_[0-9a-f]{24}$/);
    expect(password, generatedOutput).toMatch(/^[\w-]{12}$/);
    expect(await ping(generated.port, key ?? '')).toBe(200);
    // Printed by the banner, and nowhere before it.
    const bannerAt = generatedOutput.indexOf(BANNER);
    expect(generatedOutput.indexOf(key ?? '')).toBeGreaterThan(bannerAt);
    expect(generatedOutput.indexOf(password ?? '')).toBeGreaterThan(bannerAt);

    const exits = await Promise.all([operator.child, generated.child].map((child) => signalAndWait(child, 'SIGTERM', GRACE_MS + 8_000)));
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });
  });
});
