import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { closeQueues, createQueues, createRedisConnection, type Queues } from '@pubcrawl/queue';
import { ALL_QUEUE_NAMES, QUEUE_NAMES } from '@pubcrawl/domain';
import { captureOutput, dropDatabase, signalAndWait, testDatabase, testRedis, testServices, unusedPort, waitFor, withDatabaseName, type TestDatabase, type TestRedis } from '@pubcrawl/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const GRACE_MS = 3_000;
/** The bound: `pnpm start` is gone within SHUTDOWN_GRACE_MS plus this after SIGTERM. */
const EXIT_SLACK_MS = 5_000;
const BANNER = 'pubcrawl is running';

/** pnpm's own script when the tests run under pnpm (as `pnpm test` does), else the one on PATH. */
function pnpmCli(): string {
  const running = process.env.npm_execpath;
  if (running !== undefined && /pnpm\.c?js$/.test(running)) return running;
  return execFileSync('sh', ['-c', 'readlink -f "$(command -v pnpm)"'], { encoding: 'utf8' }).trim();
}

async function portAnswers(port: number): Promise<boolean> {
  const socket = connect({ port, host: '127.0.0.1' });
  try {
    await once(socket, 'connect');
    return true;
  } catch {
    return false;
  } finally {
    socket.destroy();
  }
}

describe('pnpm start', () => {
  let redis: TestRedis;
  let connection: Redis;
  let queues: Queues;
  let child: ChildProcess | undefined;
  const serverUrl = testServices().databaseUrl;
  // A database that does not exist yet: `pnpm start` on a fresh machine has to create and migrate it.
  const databaseName = `pubcrawl_start_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

  beforeAll(async () => {
    redis = await testRedis();
    connection = createRedisConnection(redis.topology);
    queues = createQueues({ connection, prefix: redis.prefix });
  });
  afterAll(async () => {
    if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await closeQueues(queues);
    connection.disconnect();
    await redis.cleanup();
    await dropDatabase(serverUrl, databaseName);
  });

  it('migrates, serves the API with the key it prints, runs a crawl, and exits 0 on SIGTERM within the grace period with no job left active', { timeout: 180_000 }, async () => {
    const [port, sandboxPort] = [await unusedPort(), await unusedPort()];
    const env: Record<string, string | undefined> = {
      ...process.env,
      NODE_ENV: 'development',
      DATABASE_URL: withDatabaseName(serverUrl, databaseName),
      REDIS_URL: redis.url,
      QUEUE_PREFIX: redis.prefix,
      PORT: String(port),
      SANDBOX_PORT: String(sandboxPort),
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      LOG_LEVEL: 'warn',
      // What a newcomer has: no keys of any kind, so the key, the board password and the sandbox
      // all come from `pnpm start` itself.
      API_KEYS: undefined,
      BOARD_USERNAME: undefined,
      BOARD_PASSWORD: undefined,
      TIKAPI_API_KEY: undefined,
      POSTING_API_KEY: undefined,
    };
    // The real `pnpm start`, so the signal lands on pnpm itself, as it does under a supervisor.
    const started = spawn(process.execPath, [pnpmCli(), 'start'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    const output = captureOutput(started);

    await waitFor(() => output().includes(BANNER) || started.exitCode !== null, { timeoutMs: 120_000, intervalMs: 100, describe: () => output() });
    expect(started.exitCode, output()).toBeNull();
    // pnpm announces the script it runs: the process signalled below is pnpm, not our launcher.
    expect(output()).toContain('> exec node infra/start.mjs');
    const key = /Authorization: Bearer (\S+?)\)/.exec(output())?.[1];
    expect(key, output()).toBeDefined();
    expect(output()).toMatch(new RegExp(`Bull Board +http://localhost:${port}/admin/queues +\\(user admin, password \\S+\\)`));
    const base = `http://127.0.0.1:${port}`;
    const auth = { authorization: `Bearer ${key}` };

    const ping = await fetch(`${base}/v1/ping`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ echo: 'hi' }) });
    expect(ping.status).toBe(200);
    expect(await ping.json()).toEqual({ ok: true, echo: 'hi' });
    expect((await fetch(`${base}/v1/ping`, { method: 'POST' })).status).toBe(401);

    // The sandbox, the worker and the database all take part in a crawl that runs to its end.
    const small = await fetch(`${base}/v1/crawls`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'followers', target: { username: 'user_90' } }),
    });
    expect(small.status, await small.clone().text()).toBe(202);
    const { id: smallId } = (await small.json()) as { id: string };
    const finished = await waitFor(
      async () => {
        const crawl = (await (await fetch(`${base}/v1/crawls/${smallId}`, { headers: auth })).json()) as { status: string; items: number };
        return crawl.status === 'completed' ? crawl : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, describe: () => output() },
    );
    expect(finished.items).toBe(90);

    // A long crawl keeps a job active when the signal lands.
    const long = await fetch(`${base}/v1/crawls`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'followers', target: { username: 'user_50000' } }),
    });
    expect(long.status).toBe(202);
    const { id: longId } = (await long.json()) as { id: string };
    // Past its first page: the signal lands in the middle of the crawl, not at its very start.
    await waitFor(
      async () => {
        const crawl = (await (await fetch(`${base}/v1/crawls/${longId}`, { headers: auth })).json()) as { items: number };
        return crawl.items > 0 && (await queues[QUEUE_NAMES.crawlFollowers].getJobCounts('active')).active === 1;
      },
      { timeoutMs: 15_000, intervalMs: 50 },
    );

    const { code, signal, afterMs } = await signalAndWait(started, 'SIGTERM', GRACE_MS + EXIT_SLACK_MS + 10_000);

    expect({ code, signal }, output()).toEqual({ code: 0, signal: null });
    expect(afterMs).toBeLessThan(GRACE_MS + EXIT_SLACK_MS);
    // Every child went with it: nothing answers on the API's or the sandbox's port any more.
    expect(await portAnswers(port)).toBe(false);
    expect(await portAnswers(sandboxPort)).toBe(false);
    for (const name of ALL_QUEUE_NAMES) expect(await queues[name].getJobCounts('active'), name).toEqual({ active: 0 });
    // The long crawl's next segment waits for the next start; it was handed over, not dropped.
    const pending = await queues[QUEUE_NAMES.crawlFollowers].getJobCounts('waiting', 'delayed', 'prioritized');
    expect((pending.waiting ?? 0) + (pending.delayed ?? 0) + (pending.prioritized ?? 0), JSON.stringify(pending)).toBe(1);
  });
});

/** A process is gone once signal 0 to its pid fails. */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * Each app's own root script (`pnpm worker`, as a process manager or `docker compose` without the
 * image's direct command would run it) is two pnpm processes deep. A SIGTERM to the outer one must
 * still reach the app's graceful shutdown, and pnpm must exit with the app's 0, leaving nothing.
 */
describe('pnpm <app> under SIGTERM', () => {
  let database: TestDatabase;
  let redis: TestRedis;
  const running: ChildProcess[] = [];
  const appPids: number[] = [];

  beforeAll(async () => {
    database = await testDatabase();
    redis = await testRedis();
  });
  afterAll(async () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    // An app a failing case left orphaned must not keep the database busy.
    for (const pid of appPids) if (!isGone(pid)) process.kill(pid, 'SIGKILL');
    await redis.cleanup();
    await database.cleanup();
  });

  const apps = [
    { app: 'api', ready: 'Server listening' },
    { app: 'worker', ready: 'worker started' },
    { app: 'scheduler', ready: 'scheduler started' },
    { app: 'sandbox', ready: 'sandbox listening' },
  ] as const;

  it.each(apps)('pnpm $app stops gracefully and exits 0', { timeout: 60_000 }, async ({ app, ready }) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: redis.prefix,
      API_KEYS: 'script-test-key',
      PORT: String(await unusedPort()),
      SANDBOX_PORT: String(await unusedPort()),
      SHUTDOWN_GRACE_MS: String(GRACE_MS),
      LOG_LEVEL: 'info',
    };
    const started = spawn(process.execPath, [pnpmCli(), app], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.push(started);
    const output = captureOutput(started);
    await waitFor(() => output().includes(ready) || started.exitCode !== null, { timeoutMs: 45_000, intervalMs: 100, describe: () => output() });
    expect(started.exitCode, output()).toBeNull();
    const appPid = Number(/"pid":(\d+)/.exec(output())?.[1]);
    expect(appPid, output()).toBeGreaterThan(0);
    expect(appPid).not.toBe(started.pid);
    appPids.push(appPid);

    const { code, signal, afterMs } = await signalAndWait(started, 'SIGTERM', GRACE_MS + EXIT_SLACK_MS + 10_000);
    // 0 only comes from the app's own graceful stop; a shell or pnpm dying of the signal is not 0.
    expect({ code, signal }, output()).toEqual({ code: 0, signal: null });
    expect(afterMs).toBeLessThan(GRACE_MS + EXIT_SLACK_MS);
    expect(isGone(appPid), `the ${app} process ${appPid} outlived pnpm`).toBe(true);
  });
});
