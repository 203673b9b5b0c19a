/**
 * The pieces bench/publish-burst puts together: the sandbox and the plain loop as child processes,
 * worker processes started from the worker's real entry point, the seeding the API would have done,
 * and the figures read back from Postgres. Every process is a child of the bench, so the bench
 * process itself only seeds and polls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { accounts, insertPosts, type Database, type PostRow } from '@pubcrawl/db';
import type { SandboxConfig, SandboxStats } from '@pubcrawl/sandbox';
import { createPostBodySchema } from '@pubcrawl/contracts';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { z } from 'zod';

/** The sandbox accepts any key; the worker and the plain loop must use the same one. */
export const API_KEY = 'bench-key';

const sandboxChild = fileURLToPath(new URL('./sandbox-child.ts', import.meta.url));
const plainChild = fileURLToPath(new URL('./publish-plain-child.ts', import.meta.url));

/** Resolves with the first stdout line of `child` that parses as `schema`; rejects if it exits first. */
async function lineOf<T>(child: ChildProcess, schema: z.ZodType<T>, what: string): Promise<T> {
  const stdout = child.stdout;
  if (stdout === null) throw new Error(`${what}: no stdout`);
  const lines = createInterface({ input: stdout });
  return new Promise<T>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${what} exited (${code}) before it was ready`));
    child.once('exit', onExit);
    lines.on('line', (line) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        return;
      }
      const parsed = schema.safeParse(value);
      if (!parsed.success) return;
      child.off('exit', onExit);
      resolve(parsed.data);
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

export interface SandboxProcess {
  url: string;
  /** CPU time the sandbox process has used so far (null off Linux). */
  cpuMs(): number | null;
  reset(): Promise<void>;
  stats(): Promise<SandboxStats>;
  close(): Promise<void>;
}

export async function spawnSandbox(config: Partial<SandboxConfig>): Promise<SandboxProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', sandboxChild, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { url } = await lineOf(child, z.object({ url: z.string() }), 'sandbox');
  const admin = async (method: 'GET' | 'POST', path: string): Promise<unknown> => {
    const response = await fetch(`${url}/__sandbox${path}`, { method });
    if (!response.ok) throw new Error(`sandbox ${method} ${path}: ${response.status}`);
    return response.json();
  };
  return {
    url,
    cpuMs: () => processCpuMs(child.pid),
    reset: async () => void (await admin('POST', '/reset')),
    stats: async () => (await admin('GET', '/stats')) as SandboxStats,
    close: () => stop(child),
  };
}

/**
 * CPU time (user + system) a process has used so far, from /proc (Linux); null elsewhere. At 100
 * ticks a second it is exact to 10 ms, plenty over a burst of seconds.
 */
export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

export interface WorkerProcesses {
  /** CPU time the worker processes have used since they logged "worker started". */
  cpuMs(): number | null;
  close(): Promise<void>;
}

/**
 * `count` worker processes (`pnpm worker`'s entry point, `node --import tsx src/main.ts`), resolved
 * once each has logged "worker started", so a burst never measures start-up.
 */
export async function spawnWorkers(count: number, env: Record<string, string>, nodeArgs: readonly string[] = []): Promise<WorkerProcesses> {
  const workerMain = fileURLToPath(new URL('./main.ts', import.meta.resolve('@pubcrawl/worker')));
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, [...nodeArgs, '--import', 'tsx', workerMain], { env: { ...env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  const close = async () => void (await Promise.all(children.map(stop)));
  try {
    await Promise.all(children.map((child, index) => lineOf(child, z.object({ msg: z.literal('worker started') }), `worker ${index}`)));
  } catch (caught) {
    await close();
    throw caught;
  }
  // Keep reading (and dropping) their logs, so a full pipe never blocks a worker.
  for (const child of children) child.stdout?.resume();
  const cpuNow = () => {
    const each = children.map((child) => processCpuMs(child.pid));
    return each.some((ms) => ms === null) ? null : each.reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
  };
  const started = cpuNow();
  return {
    cpuMs: () => {
      const now = cpuNow();
      return now === null || started === null ? null : now - started;
    },
    close,
  };
}

export interface PlainLoops {
  /**
   * Hands every child the instant to start at; resolves when all of them have finished, with the
   * CPU time they used for it. They stay connected (to Postgres too) until `close`.
   */
  run(scheduledAt: Date): Promise<{ cpuMs: number }>;
  close(): Promise<void>;
}

const plainResult = z.object({ posts: z.number(), cpuMs: z.number() });

/**
 * `count` plain-loop processes of `concurrency` loops each (bench/lib/publish-plain-child.ts),
 * started and connected before the posts exist, as the worker processes are.
 */
export async function spawnPlainLoops(count: number, concurrency: number, sandboxUrl: string, databaseUrl: string): Promise<PlainLoops> {
  const children = Array.from({ length: count }, (_, shard) =>
    spawn(process.execPath, ['--import', 'tsx', plainChild, sandboxUrl, databaseUrl, String(concurrency), String(shard), String(count)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const close = async () => void (await Promise.all(children.map(stop)));
  try {
    await Promise.all(children.map((child, index) => lineOf(child, z.object({ booted: z.literal(true) }), `plain loop ${index}`)));
  } catch (caught) {
    await close();
    throw caught;
  }
  return {
    async run(scheduledAt) {
      const done = children.map(async (child, index) => {
        const finished = lineOf(child, plainResult, `plain loop ${index}`);
        child.stdin?.end(`${scheduledAt.getTime()}\n`);
        return finished;
      });
      const results = await Promise.all(done);
      return { cpuMs: results.reduce((sum, result) => sum + result.cpuMs, 0) };
    },
    close,
  };
}

/** What the API would have written: `accountCount` accounts and `postCount` validated posts with their created events. */
export async function seedBurst(db: Database, accountCount: number, postCount: number, scheduledAt: Date): Promise<PostRow[]> {
  const owners = await db
    .insert(accounts)
    .values(Array.from({ length: accountCount }, (_, index) => ({ label: `bench ${index}`, provider: 'posting' as const, externalId: `acct_${index}` })))
    .returning();
  const rows: PostRow[] = [];
  for (let start = 0; start < postCount; start += 500) {
    const chunk = Array.from({ length: Math.min(500, postCount - start) }, (_, offset) => {
      const index = start + offset;
      const owner = owners[index % owners.length];
      if (owner === undefined) throw new Error('no accounts');
      const request = createPostBodySchema.parse({
        accountId: owner.id,
        content: `bench post ${index}`,
        mediaItems: [{ url: `https://cdn.example.com/bench/${index}.mp4` }],
        scheduledAt: scheduledAt.toISOString(),
        settings: { privacyLevel: 'PUBLIC_TO_EVERYONE', allowComment: true, allowDuet: true, allowStitch: true },
      });
      return { accountId: owner.id, request, mediaType: 'video', requestHash: `bench-${index}`, scheduledAt };
    });
    rows.push(...(await insertPosts(db, chunk)));
  }
  return rows;
}

export interface BurstFigures {
  /** Posts whose answer was recorded (`submitted` event). */
  submitted: number;
  /** Posts per second from scheduledAt to the last recorded answer. */
  postsPerSecond: number;
  /** publish call (submitted_at, stamped by the claim just before the call) − scheduledAt, sorted. */
  lateness: number[];
}

/** Counts the posts whose provider answer has been recorded. */
export async function countSubmitted(pool: pg.Pool): Promise<number> {
  const result = await pool.query<{ n: string }>("select count(*)::text as n from post_events where code = 'submitted'");
  return Number(result.rows[0]?.n);
}

/** The burst's figures, read from Postgres: both the pipeline and the plain loop write the same rows. */
export async function burstFigures(pool: pg.Pool): Promise<BurstFigures> {
  const window = await pool.query<{ n: string; ms: string }>(
    `select count(*)::text as n, extract(epoch from (max(e.created_at) - min(p.scheduled_at))) * 1000 as ms
       from post_events e join posts p on p.id = e.post_id where e.code = 'submitted'`,
  );
  const submitted = Number(window.rows[0]?.n);
  const lateness = (await pool.query<{ ms: string }>('select extract(epoch from (submitted_at - scheduled_at)) * 1000 as ms from posts where submitted_at is not null')).rows
    .map((row) => Number(row.ms))
    .sort((a, b) => a - b);
  return { submitted, postsPerSecond: (submitted * 1000) / Number(window.rows[0]?.ms), lateness };
}

/**
 * CPU time used so far by the Postgres backends serving the current database, other than the
 * bench's own (application_name `pubcrawl-bench`). Each phase has a database of its own, so these
 * are that phase's workers or plain loops, and they are still connected when the burst ends.
 */
export async function postgresCpuMs(pool: pg.Pool): Promise<number | null> {
  const backends = await pool.query<{ pid: number }>(
    "select pid from pg_stat_activity where datname = current_database() and application_name <> 'pubcrawl-bench'",
  );
  let total = 0;
  for (const { pid } of backends.rows) {
    const ms = processCpuMs(pid);
    if (ms === null) return null;
    total += ms;
  }
  return total;
}

/** CPU time the Redis server has used so far (all its threads), from INFO. */
export async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

/** Publishes counted by the sandbox, and how many distinct posts it received more than once. */
export function publishCounts(stats: SandboxStats): { total: number; duplicated: number } {
  return {
    total: stats.publishes.reduce((sum, entry) => sum + entry.count, 0),
    duplicated: stats.publishes.filter((entry) => entry.count > 1).length,
  };
}
