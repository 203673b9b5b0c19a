/**
 * Shared scaffolding of the crawl benchmarks: a private world (fresh database, Redis prefix,
 * sandbox), worker child processes whose peak RSS can be read, and crawls created the way the API
 * creates them. Everything is loopback and torn down in reverse order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { commonEnvFields, DEFAULT_REDIS_URL, loadEnv } from '@pubcrawl/config';
import { createDb, findCrawl, insertCrawl, type CrawlCheckpointRow, type CrawlRow, type DbHandle } from '@pubcrawl/db';
import { closeQueues, createQueues, createRedisConnection, enqueueCrawl, type Queues } from '@pubcrawl/queue';
import { startSandbox, type RunningSandbox, type SandboxConfig } from '@pubcrawl/sandbox';
import type { CreateCrawlBody } from '@pubcrawl/contracts';

import { deleteKeysWithPrefix, freshMigratedDatabase } from '@pubcrawl/testing';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { toError } from '@pubcrawl/errors';

export const MB = 1024 * 1024;
export const API_KEY = 'bench-crawl-key';

/** Postgres server (a scratch database is created on it) and Redis, from DATABASE_URL / REDIS_URL. */
export function benchServices(): { serverUrl: string; redisUrl: string } {
  const env = loadEnv(commonEnvFields.pick({ REDIS_URL: true }).extend({ DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/postgres') }));
  return { serverUrl: env.DATABASE_URL, redisUrl: env.REDIS_URL ?? DEFAULT_REDIS_URL };
}

export interface BenchWorld {
  sandbox: RunningSandbox;
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  db: DbHandle;
  redis: Redis;
  queues: Queues;
  /** Environment for worker processes pointed at this world. */
  workerEnv(overrides?: Record<string, string>): Record<string, string>;
}

/** Runs `fn` in a private world and tears it down afterwards, whatever happens. */
export async function withBenchWorld<T>(sandboxConfig: Partial<SandboxConfig>, fn: (world: BenchWorld) => Promise<T>): Promise<T> {
  const { serverUrl, redisUrl } = benchServices();
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const sandbox = await startSandbox({ port: 0, host: '127.0.0.1', config: sandboxConfig });
    cleanups.push(() => sandbox.close());
    const database = await freshMigratedDatabase(serverUrl, 'pubcrawl_bench');
    cleanups.push(() => database.cleanup());
    const prefix = `{bench-${randomUUID()}}`;
    const redis = createRedisConnection({ kind: 'standalone', url: redisUrl });
    cleanups.push(async () => {
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
    });
    const db = createDb(database.url, { max: 4, applicationName: 'pubcrawl-bench' });
    cleanups.push(() => db.close());
    const queues = createQueues({ connection: redis, prefix });
    cleanups.push(() => closeQueues(queues));
    const world: BenchWorld = {
      sandbox,
      databaseUrl: database.url,
      redisUrl,
      prefix,
      db,
      redis,
      queues,
      workerEnv: (overrides = {}) => ({
        NODE_ENV: 'production',
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        QUEUE_PREFIX: prefix,
        LOG_LEVEL: 'warn',
        TIKAPI_BASE_URL: sandbox.url,
        TIKAPI_API_KEY: API_KEY,
        POSTING_BASE_URL: sandbox.url,
        // A key of its own: with one key for both APIs the worker limits it to the smaller of the
        // two configured rates, and the posting default (50/s) would cap the crawl benches.
        POSTING_API_KEY: `${API_KEY}-posting`,
        ...overrides,
      }),
    };
    return await fn(world);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((e: unknown) => console.error('cleanup failed:', toError(e).message));
  }
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Peak resident set size so far (VmHWM), in bytes; null once the process is gone. */
  peakRss(): Promise<number | null>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const workerMain = fileURLToPath(new URL('./main.ts', import.meta.resolve('@pubcrawl/worker')));

/** `pnpm worker`'s entry point as a child process, exactly as deployed (one node process). */
export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', workerMain], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  return {
    child,
    async peakRss() {
      if (child.pid === undefined) return null;
      try {
        const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
        const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1];
        return kb === undefined ? null : Number(kb) * 1024;
      } catch {
        return null;
      }
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** What POST /v1/crawls does: insert the crawl and its checkpoint, then enqueue after commit. */
export async function createCrawl(world: BenchWorld, body: CreateCrawlBody): Promise<CrawlRow> {
  const crawl = await world.db.db.transaction((tx) => insertCrawl(tx, body));
  if (crawl === null) throw new Error('insertCrawl returned null');
  await enqueueCrawl(world.queues, crawl, 0);
  return crawl;
}

export async function crawlState(world: BenchWorld, crawlId: string): Promise<{ crawl: CrawlRow; checkpoint: CrawlCheckpointRow }> {
  const found = await findCrawl(world.db.db, crawlId);
  if (found?.checkpoint == null) throw new Error(`crawl ${crawlId} not found`);
  return { crawl: found.crawl, checkpoint: found.checkpoint };
}

/** Polls until the crawl leaves queued/running, or throws after `timeoutMs`. */
export async function waitForCrawlEnd(world: BenchWorld, crawlId: string, timeoutMs: number, onTick?: (state: { crawl: CrawlRow }) => Promise<void> | void): Promise<CrawlRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await crawlState(world, crawlId);
    await onTick?.(state);
    if (state.crawl.status !== 'queued' && state.crawl.status !== 'running') return state.crawl;
    if (Date.now() > deadline) throw new Error(`crawl ${crawlId} still ${state.crawl.status} after ${timeoutMs} ms (pages ${state.checkpoint.pages})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

export function formatMb(bytes: number | null): string {
  return bytes === null ? 'n/a' : `${(bytes / MB).toFixed(1)} MB`;
}
