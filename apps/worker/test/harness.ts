import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseEnv, type RedisTopology } from '@pubcrawl/config';
import { createLogger } from '@pubcrawl/logger';
import type { SandboxConfig } from '@pubcrawl/sandbox';
import { createTopologyTestRedis, testDatabase, testRedis, testSandbox, type TestDatabase, type TopologyTestRedis } from '@pubcrawl/testing';
import { createWorkerContext, type WorkerContext } from '../src/context';
import { workerEnvSchema, type WorkerEnv } from '../src/env';
import { startWorkers, type RunningWorkers } from '../src/runner';

type RunningSandbox = Awaited<ReturnType<typeof testSandbox>>;

export interface WorkerHarness {
  database: TestDatabase;
  redis: TopologyTestRedis;
  sandbox: RunningSandbox;
  /** Environment for this test's services: pass to in-process contexts and to child processes. */
  env: Record<string, string>;
  workerEnv: WorkerEnv;
  /** A context for producing and inspecting (db, queues); no workers are attached to it. */
  context: WorkerContext;
  /** Starts in-process workers on their own context. */
  startWorkers(overrides?: Record<string, string>): { workers: RunningWorkers; context: WorkerContext; stop(): Promise<void> };
  /** Starts `pnpm worker`'s entry point as a child process (for SIGKILL tests). */
  spawnWorker(overrides?: Record<string, string>): ChildProcess;
  close(): Promise<void>;
}

export const workerMain = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/**
 * One test file's private world: its own database, key prefix and sandbox, and the environment
 * that points a worker at them. Everything is torn down by `close`.
 */
export async function startWorkerHarness(
  options: { sandbox?: Partial<SandboxConfig>; env?: Record<string, string>; /** Default: the shared standalone server. */ redis?: RedisTopology } = {},
): Promise<WorkerHarness> {
  const database = await testDatabase();
  const redis = options.redis === undefined ? await testRedis() : await createTopologyTestRedis(options.redis);
  const sandbox = await testSandbox(options.sandbox);
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: database.url,
    ...redis.env,
    QUEUE_PREFIX: redis.prefix,
    LOG_LEVEL: 'silent',
    TIKAPI_BASE_URL: sandbox.url,
    TIKAPI_API_KEY: 'test-tikapi-key',
    POSTING_BASE_URL: sandbox.url,
    POSTING_API_KEY: 'test-posting-key',
    RECONCILE_INTERVAL_MS: '1000',
    JOB_LOCK_DURATION_MS: '5000',
    STALLED_INTERVAL_MS: '1000',
    PUBLISH_STATUS_FIRST_INTERVAL_MS: '200',
    PUBLISH_STATUS_MAX_INTERVAL_MS: '1000',
    SHUTDOWN_GRACE_MS: '5000',
    ...options.env,
  };
  const logger = createLogger({ name: 'worker-test', level: 'silent', pretty: false });
  const workerEnv = parseEnv(workerEnvSchema, env);
  const context = createWorkerContext(workerEnv, logger);
  const started: Array<() => Promise<void>> = [];
  const children: ChildProcess[] = [];

  return {
    database,
    redis,
    sandbox,
    env,
    workerEnv,
    context,
    startWorkers(overrides = {}) {
      const ownContext = createWorkerContext(parseEnv(workerEnvSchema, { ...env, ...overrides }), logger);
      const workers = startWorkers(ownContext);
      let stopped = false;
      const stop = async () => {
        if (stopped) return;
        stopped = true;
        ownContext.shutdown.abort();
        const outcome = await workers.close(ownContext.env.SHUTDOWN_GRACE_MS);
        await ownContext.close({ abandonInFlight: outcome === 'handed_back' });
      };
      started.push(stop);
      return { workers, context: ownContext, stop };
    },
    spawnWorker(overrides = {}) {
      const child = spawn(process.execPath, ['--import', 'tsx', workerMain], {
        env: { ...process.env, ...env, ...overrides },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.push(child);
      return child;
    },
    async close() {
      // Wait for the children to be gone, so nothing they sent lands in Redis after the cleanup.
      const alive = children.filter((child) => child.exitCode === null && child.signalCode === null);
      const exited = alive.map((child) => new Promise((resolve) => child.once('exit', resolve)));
      for (const child of alive) child.kill('SIGKILL');
      await Promise.all(exited);
      await Promise.all(started.map((stop) => stop()));
      await context.close();
      await sandbox.close();
      await redis.cleanup();
      await database.cleanup();
    },
  };
}
