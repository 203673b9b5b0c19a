/**
 * Quota goodput: 4 worker processes share ONE API key and ONE limiter prefix and hammer
 * `GET /public/followers` on a sandbox whose bucket allows Q = 50 req/s. Prints, per limiter:
 * successful req/s ÷ Q (goal ≥ 0.95) and the share of answers that were 429 (goal ≤ 1%), read from
 * the sandbox's own counters. Rows:
 *   none  no limiter, a 429 is retried at once (what a naive worker does)
 *   rlf   rate-limiter-flexible RateLimiterRedis (fixed 1 s window), the starting point
 *   gcra  @pubcrawl/tiktok QuotaLimiter, what workers use
 *
 *   pnpm --filter @pubcrawl/bench exec tsx quota-goodput.ts [--seconds 30] [--modes none,rlf,gcra]
 *
 * Loopback only; each run is bounded by --seconds per mode plus process start-up.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { commonEnv, loadEnv } from '@pubcrawl/config';
import { startSandbox } from '@pubcrawl/sandbox';
import {
  FixedWindowQuotaLimiter,
  QuotaLimiter,
  RateLimited,
  TikApiClient,
  toError,
  waitForTurn,
  type QuotaGate,
} from '@pubcrawl/tiktok';

const QUOTA_PER_SECOND = 50;
const PROCESSES = 4;
/** In-flight loops per process: a worker runs several jobs at once, so demand is bursty. */
const CONCURRENCY = 4;
const API_KEY = 'bench-shared-key';
/** Hard cap per process, so a broken limiter cannot turn the run into an unbounded flood. */
const MAX_REQUESTS_PER_PROCESS = 2_000_000;

const MODES = ['none', 'rlf', 'gcra'] as const;
type Mode = (typeof MODES)[number];

/**
 * steady: every loop asks again as soon as its previous request finished (constant demand > Q).
 * waves:  what the scheduler produces: a trickle (each process one request per 250 ms) plus, every
 *         2 s, a wave of --batch requests per process released by all processes at the same instant
 *         (cron fires everywhere at once). Demand averages about Q, but a wave can land late in a
 *         window the trickle opened, which is where a fixed window admits two windows' worth of
 *         requests back to back.
 */
const WORKLOADS = ['steady', 'waves'] as const;
const WAVE_EVERY_MS = 2000;
const TRICKLE_EVERY_MS = 250;
type Workload = (typeof WORKLOADS)[number];

const childArgs = z.object({
  url: z.string(),
  mode: z.enum(MODES),
  workload: z.enum(WORKLOADS),
  prefix: z.string(),
  redisUrl: z.string(),
  startAt: z.coerce.number(),
  stopAt: z.coerce.number(),
  secUid: z.string(),
  batch: z.number().int().positive(),
});
type ChildArgs = z.infer<typeof childArgs>;

interface ChildReport {
  sent: number;
  ok: number;
  limited: number;
  errors: number;
}

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'parent' },
    seconds: { type: 'string', default: '30' },
    modes: { type: 'string', default: MODES.join(',') },
    workloads: { type: 'string', default: WORKLOADS.join(',') },
    child: { type: 'string' },
    batch: { type: 'string', default: '20' },
  },
});

if (values.role === 'child') {
  await runChild(childArgs.parse(JSON.parse(values.child ?? '{}')));
} else {
  await runParent();
}

async function runParent(): Promise<void> {
  const seconds = Number(values.seconds);
  if (!(seconds > 0 && seconds <= 600)) throw new Error('--seconds must be in (0, 600]');
  const modes = (values.modes ?? '').split(',').map((mode) => z.enum(MODES).parse(mode.trim()));
  const workloads = (values.workloads ?? '').split(',').map((workload) => z.enum(WORKLOADS).parse(workload.trim()));
  const { REDIS_URL } = loadEnv(commonEnv.pick({ REDIS_URL: true }));

  console.log(`quota goodput: ${PROCESSES} processes sharing one API key and one limiter prefix, Q = ${QUOTA_PER_SECOND}/s, ${seconds} s per row`);
  const rows: Array<Record<string, string>> = [];
  for (const workload of workloads) {
    for (const mode of modes) rows.push(await measure(workload, mode, seconds, REDIS_URL));
  }
  console.table(rows);
  console.log('goodput = 200s per second ÷ Q (goal ≥ 0.95); 429 share = 429s ÷ all answers (goal ≤ 1%)');
}

async function measure(workload: Workload, mode: Mode, seconds: number, redisUrl: string): Promise<Record<string, string>> {
  // A fresh sandbox per mode: its bucket starts full and its counters start at zero.
  const sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: QUOTA_PER_SECOND } });
  const prefix = `{bench-${randomUUID()}}:quota`;
  const redis = new Redis(redisUrl);
  try {
    const probe = new TikApiClient({ baseUrl: sandbox.url, apiKey: 'bench-probe-key' });
    const { secUid } = await probe.checkUser('user_100000');
    await probe.close();
    sandbox.reset();

    // Children need ~1-2 s to boot tsx; they all start at the same instant so the window is shared.
    const startAt = Date.now() + 3000;
    const stopAt = startAt + seconds * 1000;
    const args: ChildArgs = { url: sandbox.url, mode, workload, prefix, redisUrl, startAt, stopAt, secUid, batch: Number(values.batch) };
    const reports = await Promise.all(Array.from({ length: PROCESSES }, () => spawnChild(args, stopAt + 20_000)));

    const endpoint = sandbox.stats().requests.byEndpoint['GET /public/followers'];
    const ok = endpoint?.byStatus['200'] ?? 0;
    const limited = endpoint?.byStatus['429'] ?? 0;
    const total = endpoint?.total ?? 0;
    const clientErrors = reports.reduce((sum, report) => sum + report.errors, 0);
    return {
      workload,
      limiter: mode,
      answers: String(total),
      '200': String(ok),
      '429': String(limited),
      '200/s': (ok / seconds).toFixed(1),
      'goodput ÷ Q': (ok / seconds / QUOTA_PER_SECOND).toFixed(3),
      '429 share': `${((100 * limited) / Math.max(1, total)).toFixed(2)}%`,
      'other errors': String(clientErrors),
    };
  } finally {
    await deleteKeys(redis, prefix);
    redis.disconnect();
    await sandbox.close();
  }
}

function spawnChild(args: ChildArgs, deadline: number): Promise<ChildReport> {
  const script = fileURLToPath(import.meta.url);
  const child: ChildProcess = fork(script, ['--role', 'child', '--child', JSON.stringify(args)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let report: ChildReport | null = null;
    const killer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, deadline - Date.now()));
    child.on('message', (message: unknown) => {
      report = message as ChildReport;
    });
    child.on('error', (e: unknown) => reject(toError(e)));
    child.on('exit', (code) => {
      clearTimeout(killer);
      if (report !== null) resolve(report);
      else reject(new Error(`bench child exited with ${code ?? 'a signal'} and no report`));
    });
  });
}

async function runChild(args: ChildArgs): Promise<void> {
  const client = new TikApiClient({ baseUrl: args.url, apiKey: API_KEY, timeoutMs: 5000 });
  const redis = new Redis(args.redisUrl);
  const gate: QuotaGate | null =
    args.mode === 'gcra'
      ? new QuotaLimiter({ redis, keyPrefix: args.prefix, limits: { apiKeyPerSecond: QUOTA_PER_SECOND } })
      : args.mode === 'rlf'
        ? new FixedWindowQuotaLimiter({ redis, keyPrefix: args.prefix, limits: { apiKeyPerSecond: QUOTA_PER_SECOND } })
        : null;
  const report: ChildReport = { sent: 0, ok: 0, limited: 0, errors: 0 };
  const scopes = [client.quotaScope];
  const signal = AbortSignal.timeout(Math.max(1, args.stopAt - Date.now()));

  await sleep(Math.max(0, args.startAt - Date.now()));
  /** One request, retried until it succeeds, fails otherwise, or time is up. */
  const request = async (): Promise<void> => {
    while (Date.now() < args.stopAt && report.sent < MAX_REQUESTS_PER_PROCESS) {
      try {
        if (gate !== null) await waitForTurn(gate, scopes, { signal });
        if (Date.now() >= args.stopAt) return;
        report.sent++;
        await client.followersPage({ secUid: args.secUid, count: 30 });
        report.ok++;
        return;
      } catch (e) {
        const error = toError(e);
        if (error.name === 'AbortError') return;
        if (error instanceof RateLimited) {
          report.limited++;
          // The baseline retries at once; limiters pause the whole fleet on this scope.
          if (gate !== null && error.scope !== null) await gate.block(error.scope, error.retryAfterMs);
        } else {
          report.errors++;
          return;
        }
      }
    }
  };
  if (args.workload === 'steady') {
    const loop = async (): Promise<void> => {
      while (Date.now() < args.stopAt && report.sent < MAX_REQUESTS_PER_PROCESS) await request();
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, loop));
  } else {
    const pending: Array<Promise<void>> = [];
    const trickle = async (): Promise<void> => {
      while (Date.now() < args.stopAt) {
        pending.push(request());
        await sleep(TRICKLE_EVERY_MS);
      }
    };
    const waves = async (): Promise<void> => {
      for (let wave = args.startAt + WAVE_EVERY_MS / 2; wave < args.stopAt; wave += WAVE_EVERY_MS) {
        await sleep(Math.max(0, wave - Date.now()));
        for (let i = 0; i < args.batch; i++) pending.push(request());
      }
    };
    await Promise.all([trickle(), waves()]);
    await Promise.all(pending);
  }
  await gate?.close();
  redis.disconnect();
  await client.close();
  process.send?.(report);
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}
