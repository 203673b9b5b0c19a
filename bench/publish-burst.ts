/**
 * Publish burst: N posts across M accounts, all scheduled for the same instant, published by real
 * worker processes, against a plain loop that does only what publishing needs: claim
 * (`scheduled -> publishing` with its event) → the posting API's create post → record
 * (`publishing -> processing` with the publish id). Both run in their own processes with the same
 * number of loops (PUBLISH_CONCURRENCY × processes), each on a fresh database of the same server,
 * against one sandbox process with no quota.
 *
 * The phases alternate in one run, plain → pipeline → plain (× --rounds), and each pipeline phase is
 * divided by the mean of the plain phases on either side of it, so both sides of a ratio see the
 * same machine load (running them at the same instant instead would have them fight over the same
 * two cores, and whichever finished first would hand the other the whole machine).
 *
 * Figures per phase, read from Postgres: posts/s from scheduledAt to the last recorded answer, and
 * p50/p99/max of (publish call − scheduledAt), where the call's time is `submitted_at` (stamped by
 * the claim just before the call; the sandbox cannot tell call times). Also the sandbox's publishes
 * and duplicates (must be 0), the CPU time per post of the worker (or plain loop) processes (and,
 * for the pipeline, of Redis) over the burst, which a shared machine's load moves far less than
 * the rates, and, for the pipeline, when the status polls had every post published.
 *
 *   cd bench && pnpm exec tsx publish-burst.ts [--posts 1000] [--accounts 20] [--children 1]
 *     [--concurrency 20] [--rounds 1] [--lead-ms 4000] [--publish-ms 1000]
 *     [--only pipeline|plain] [--worker-env KEY=VALUE ...] [--variant KEY=VALUE[,KEY=VALUE] ...]
 *     [--cpu-prof DIR]
 *
 * --worker-env adds worker variables to every pipeline phase; each --variant adds a pipeline phase
 * per round with those variables on top, so settings are compared in one run, each against the
 * same plain phases (a round is then plain → pipeline → each variant → plain); --cpu-prof writes a V8 CPU profile of
 * each worker process into DIR (open it in Chrome DevTools). Postgres: DATABASE_URL's server
 * (default postgres://postgres@127.0.0.1:5432); Redis: REDIS_URL. Everything it creates is removed
 * at the end, also on failure.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { commonEnvFields, DEFAULT_REDIS_URL, loadEnv } from '@pubcrawl/config';
import { createDb } from '@pubcrawl/db';
import { closeQueues, createQueues, enqueuePublish } from '@pubcrawl/queue';
import { deleteKeysWithPrefix, freshMigratedDatabase } from '@pubcrawl/testing';
import { Redis } from 'ioredis';
import {
  API_KEY,
  burstFigures,
  countSubmitted,
  percentile,
  postgresCpuMs,
  publishCounts,
  redisCpuMs,
  seedBurst,
  spawnPlainLoops,
  spawnSandbox,
  spawnWorkers,
  type BurstFigures,
  type SandboxProcess,
} from './lib/publish-bench';

const { values } = parseArgs({
  options: {
    posts: { type: 'string', default: '1000' },
    accounts: { type: 'string', default: '20' },
    children: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '1' },
    'lead-ms': { type: 'string', default: '4000' },
    'publish-ms': { type: 'string', default: '1000' },
    only: { type: 'string' },
    'worker-env': { type: 'string', multiple: true, default: [] },
    variant: { type: 'string', multiple: true, default: [] },
    'cpu-prof': { type: 'string' },
  },
});
const POSTS = Number(values.posts);
const ACCOUNTS = Number(values.accounts);
const CHILDREN = Number(values.children);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);
const LEAD_MS = Number(values['lead-ms']);
const PUBLISH_MS = Number(values['publish-ms']);
const ONLY = values.only;
if (![POSTS, ACCOUNTS, CHILDREN, CONCURRENCY, ROUNDS].every((value) => Number.isSafeInteger(value) && value >= 1)) {
  throw new Error('--posts, --accounts, --children, --concurrency and --rounds must be integers >= 1');
}
if (ONLY !== undefined && ONLY !== 'pipeline' && ONLY !== 'plain') throw new Error('--only must be pipeline or plain');
function envPairs(option: string, pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`${option} ${pair}: expected KEY=VALUE`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}
const WORKER_ENV = envPairs('--worker-env', values['worker-env']);
const VARIANTS = values.variant.map((variant) => envPairs('--variant', variant.split(',')));
const variantLabel = (env: Record<string, string>) => `[${Object.entries(env).map(([key, value]) => `${key}=${value}`).join(' ')}]`;
const TIMEOUT_MS = 300_000;

// A standalone Redis only: the bench measures our pipeline, not a topology.
const { DATABASE_URL, REDIS_URL = DEFAULT_REDIS_URL } = loadEnv(commonEnvFields.pick({ DATABASE_URL: true, REDIS_URL: true }));

interface PhaseResult extends BurstFigures {
  publishes: number;
  duplicated: number;
  /** Pipeline only: scheduledAt → the status polls had every post published. */
  allPublishedMs: number | null;
  /** CPU time of the worker (or plain loop) processes per post, over the burst. */
  cpuMsPerPost: number | null;
  /** Pipeline only: CPU time of the Redis server per post, over the burst. */
  redisCpuMsPerPost: number | null;
  /** CPU time per post of the phase's Postgres backends and of the sandbox, over the burst. */
  postgresCpuMsPerPost: number | null;
  sandboxCpuMsPerPost: number | null;
}

function difference(after: number | null, before: number | null): number | null {
  return after === null || before === null ? null : after - before;
}

function perPost(ms: { postgresMs: number | null; sandboxMs: number | null }): Pick<PhaseResult, 'postgresCpuMsPerPost' | 'sandboxCpuMsPerPost'> {
  return {
    postgresCpuMsPerPost: ms.postgresMs === null ? null : ms.postgresMs / POSTS,
    sandboxCpuMsPerPost: ms.sandboxMs === null ? null : ms.sandboxMs / POSTS,
  };
}

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not done within ${TIMEOUT_MS / 1000} s`);
    await sleep(50);
  }
}

/** A fresh database on DATABASE_URL's server for `body`, dropped afterwards. */
async function withDatabase<T>(body: (url: string, db: ReturnType<typeof createDb>) => Promise<T>): Promise<T> {
  const database = await freshMigratedDatabase(DATABASE_URL, 'pubcrawl_bench');
  const db = createDb(database.url, { max: 2, applicationName: 'pubcrawl-bench' });
  try {
    return await body(database.url, db);
  } finally {
    await db.close();
    await database.cleanup();
  }
}

async function plainPhase(sandbox: SandboxProcess): Promise<PhaseResult> {
  await sandbox.reset();
  return withDatabase(async (url, db) => {
    const loops = await spawnPlainLoops(CHILDREN, CONCURRENCY, sandbox.url, url);
    let cpuMs = Number.NaN;
    let sandboxMs: number | null = null;
    let postgresMs: number | null = null;
    try {
      const scheduledAt = new Date(Date.now() + LEAD_MS);
      await seedBurst(db.db, ACCOUNTS, POSTS, scheduledAt);
      const sandboxBefore = sandbox.cpuMs();
      ({ cpuMs } = await loops.run(scheduledAt));
      sandboxMs = difference(sandbox.cpuMs(), sandboxBefore);
      postgresMs = await postgresCpuMs(db.pool);
    } finally {
      await loops.close();
    }
    const figures = await burstFigures(db.pool);
    const counts = publishCounts(await sandbox.stats());
    return { ...figures, publishes: counts.total, duplicated: counts.duplicated, allPublishedMs: null, cpuMsPerPost: cpuMs / POSTS, redisCpuMsPerPost: null, ...perPost({ postgresMs, sandboxMs }) };
  });
}

async function pipelinePhase(sandbox: SandboxProcess, variant: Record<string, string>): Promise<PhaseResult> {
  await sandbox.reset();
  return withDatabase(async (url, db) => {
    const prefix = `{bench-${randomUUID()}}`;
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queues = createQueues({ connection: redis, prefix });
    try {
      const env: Record<string, string> = {
        NODE_ENV: 'production',
        DATABASE_URL: url,
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        // Production refuses to start without one; the bench stores no credentials.
        CREDENTIALS_KEY: '0'.repeat(64),
        TIKAPI_BASE_URL: sandbox.url,
        TIKAPI_API_KEY: API_KEY,
        POSTING_BASE_URL: sandbox.url,
        POSTING_API_KEY: API_KEY,
        // The sandbox has no quota, and neither has the plain loop: the limiter still runs, it just never says no.
        TIKAPI_REQUESTS_PER_SECOND: '100000',
        POSTING_REQUESTS_PER_SECOND: '100000',
        ACCOUNT_PUBLISH_PER_MINUTE: '100000',
        // Far above the per-minute limit, so claims take the one-statement path, as a real account below its cap does.
        ACCOUNT_DAILY_POSTS: '1000000000',
        ACCOUNT_STATUS_PER_MINUTE: '100000',
        PUBLISH_CONCURRENCY: String(CONCURRENCY),
        PUBLISH_STATUS_CONCURRENCY: String(CONCURRENCY),
        ...WORKER_ENV,
        ...variant,
      };
      const cpuProf = values['cpu-prof'];
      const nodeArgs = cpuProf === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProf}`];
      const workers = await spawnWorkers(CHILDREN, env, nodeArgs);
      let allPublishedMs: number;
      let cpuMs: number | null;
      let redisMs: number;
      let sandboxMs: number | null;
      let postgresMs: number | null;
      try {
        const scheduledAt = new Date(Date.now() + LEAD_MS);
        const rows = await seedBurst(db.db, ACCOUNTS, POSTS, scheduledAt);
        // As the API does, one job per post (in parallel batches, as many API requests would).
        for (let start = 0; start < rows.length; start += 200) await Promise.all(rows.slice(start, start + 200).map((post) => enqueuePublish(queues, post)));
        if (Date.now() > scheduledAt.getTime() - 500) throw new Error('seeding took longer than the lead; raise --lead-ms');
        const workersBefore = workers.cpuMs();
        const redisBefore = await redisCpuMs(redis);
        const sandboxBefore = sandbox.cpuMs();
        await waitFor('publish calls', async () => (await countSubmitted(db.pool)) >= POSTS);
        const workersAfter = workers.cpuMs();
        sandboxMs = difference(sandbox.cpuMs(), sandboxBefore);
        postgresMs = await postgresCpuMs(db.pool);
        cpuMs = workersBefore === null || workersAfter === null ? null : workersAfter - workersBefore;
        redisMs = (await redisCpuMs(redis)) - redisBefore;
        await waitFor('status polls', async () => {
          const result = await db.pool.query<{ n: string }>("select count(*)::text as n from posts where status <> 'published'");
          return Number(result.rows[0]?.n) === 0;
        });
        allPublishedMs = Date.now() - scheduledAt.getTime();
      } finally {
        await workers.close();
      }
      const figures = await burstFigures(db.pool);
      const counts = publishCounts(await sandbox.stats());
      return { ...figures, publishes: counts.total, duplicated: counts.duplicated, allPublishedMs, cpuMsPerPost: cpuMs === null ? null : cpuMs / POSTS, redisCpuMsPerPost: redisMs / POSTS, ...perPost({ postgresMs, sandboxMs }) };
    } finally {
      await closeQueues(queues);
      await deleteKeysWithPrefix(redis, prefix);
      redis.disconnect();
    }
  });
}

function describe(label: string, result: PhaseResult): string {
  const late = result.lateness;
  const published = result.allPublishedMs === null ? '' : `   all published ${(result.allPublishedMs / 1000).toFixed(1)} s`;
  const cpu = result.cpuMsPerPost === null ? '' : `   CPU/post ${result.cpuMsPerPost.toFixed(2)}`;
  const redisCpu = result.redisCpuMsPerPost === null ? '' : ` + Redis ${result.redisCpuMsPerPost.toFixed(2)}`;
  const postgresCpu = result.postgresCpuMsPerPost === null ? '' : ` + Postgres ${result.postgresCpuMsPerPost.toFixed(2)}`;
  const sandboxCpu = result.sandboxCpuMsPerPost === null ? '' : ` + sandbox ${result.sandboxCpuMsPerPost.toFixed(2)}`;
  return (
    `  ${label.padEnd(16)} ${result.postsPerSecond.toFixed(0).padStart(5)} posts/s   call − scheduledAt first ${(late[0] ?? 0).toFixed(0).padStart(4)} ms  p50 ${percentile(late, 0.5).toFixed(0).padStart(5)} ms` +
    `  p99 ${percentile(late, 0.99).toFixed(0).padStart(5)} ms  max ${(late[late.length - 1] ?? 0).toFixed(0).padStart(5)} ms` +
    `${cpu}${redisCpu}${postgresCpu}${sandboxCpu} ms   sandbox ${result.publishes} publishes, ${result.duplicated} duplicated${published}`
  );
}

async function main(): Promise<void> {
  const sandbox = await spawnSandbox({ quotaPerSecond: 0, accountLimits: null, publishDurationMs: PUBLISH_MS });
  let failed = false;
  const check = (result: PhaseResult) => {
    if (result.submitted !== POSTS || result.publishes !== POSTS || result.duplicated !== 0) failed = true;
    return result;
  };
  try {
    const loops = CHILDREN * CONCURRENCY;
    console.log(`publish-burst: ${POSTS} posts, ${ACCOUNTS} accounts, one instant; ${CHILDREN} process(es) × ${CONCURRENCY} = ${loops} loops; sandbox publish ${PUBLISH_MS} ms`);
    if (Object.keys(WORKER_ENV).length > 0) console.log(`  worker env: ${JSON.stringify(WORKER_ENV)}`);
    const configs = ONLY === 'plain' ? [] : [{ label: 'pipeline', env: {} }, ...VARIANTS.map((env) => ({ label: `pipeline ${variantLabel(env)}`, env }))];
    const plains: PhaseResult[] = [];
    const pipelines = new Map<string, Array<{ result: PhaseResult; round: number }>>(configs.map((config) => [config.label, []]));
    if (ONLY !== 'pipeline') {
      plains.push(check(await plainPhase(sandbox)));
      console.log(describe('plain loop', plains[0] as PhaseResult));
    }
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const config of configs) {
        const result = check(await pipelinePhase(sandbox, config.env));
        pipelines.get(config.label)?.push({ result, round });
        console.log(describe(config.label, result));
      }
      if (ONLY !== 'pipeline') {
        const plain = check(await plainPhase(sandbox));
        plains.push(plain);
        console.log(describe('plain loop', plain));
      }
    }
    for (const [label, results] of pipelines) {
      const ratios = results.flatMap(({ result, round }) => {
        const before = plains[round];
        const after = plains[round + 1];
        return before === undefined || after === undefined ? [] : [result.postsPerSecond / ((before.postsPerSecond + after.postsPerSecond) / 2)];
      });
      if (ratios.length > 0) console.log(`  ${label} ÷ plain loop (each against the mean of the plain phases around its round): ${ratios.map((ratio) => ratio.toFixed(3)).join(', ')} (goal >= 0.6)`);
      const p99s = results.map(({ result }) => (percentile(result.lateness, 0.99) / 1000).toFixed(2));
      console.log(`  ${label} p99 (publish call − scheduledAt): ${p99s.join(', ')} s (goal <= 1.5 s)`);
    }
    // Everything (Postgres, Redis, sandbox, workers) shares this machine, so its load is part of the figure.
    console.log(`  machine: ${availableParallelism()} cores, load average ${loadavg().map((value) => value.toFixed(1)).join(' ')}`);
    if (failed) {
      console.error('publish-burst: a phase did not publish every post exactly once');
      process.exitCode = 1;
    }
  } finally {
    await sandbox.close();
  }
}

await main();
