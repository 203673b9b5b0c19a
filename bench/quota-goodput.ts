/**
 * Quota goodput: 4 worker processes share ONE API key and ONE limiter prefix and hammer
 * `GET /public/followers` on a sandbox whose bucket allows Q = 50 req/s. Prints successful req/s ÷ Q
 * (goal ≥ 0.95) and the share of answers that were 429 (goal ≤ 1%), read from the sandbox's own
 * counters, for each limiter side by side:
 *   none  no limiter, a 429 is retried at once (what a naive worker does)
 *   rlf   rate-limiter-flexible RateLimiterRedis (fixed 1 s window), where the limiter started
 *   gcra  @pubcrawl/tiktok QuotaLimiter (GCRA with reservations), what workers use
 * under two workloads (see WORKLOADS).
 *
 *   pnpm --filter @pubcrawl/bench exec tsx quota-goodput.ts \
 *     [--seconds 30] [--modes none,rlf,gcra] [--workloads steady,waves]
 *
 * Loopback only. Bounded: --seconds per row (≤ 600) plus process start-up, a request cap per
 * process, and children are killed 30 s after their window. Needs Redis at REDIS_URL (default
 * redis://127.0.0.1:6379); its keys live under a fresh prefix that is deleted afterwards.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once, setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { commonEnvFields, DEFAULT_REDIS_URL, loadEnv } from '@pubcrawl/config';
import { startSandbox } from '@pubcrawl/sandbox';
import { QuotaLimiter, RateLimited, TikApiClient, waitForTurn, type QuotaGate } from '@pubcrawl/tiktok';
import { FixedWindowQuotaLimiter } from './lib/fixed-window-limiter';
import { toError } from '@pubcrawl/errors';

const QUOTA_PER_SECOND = 50;
const PROCESSES = 4;
const API_KEY = 'bench-shared-key';
/** Hard cap per process, so a broken limiter cannot turn a run into an unbounded flood. */
const MAX_REQUESTS_PER_PROCESS = 2_000_000;

const MODES = ['none', 'rlf', 'gcra'] as const;
type Mode = (typeof MODES)[number];

/**
 * steady: 4 loops per process, each asking again as soon as its previous request is done: demand
 *         is always above Q, so goodput ÷ Q is the number to watch.
 * waves:  what the scheduler produces: a trickle (one request per process every 250 ms) plus waves
 *         of 30 requests per process that every process releases at the same instant (cron fires
 *         everywhere at once), 3-6 s apart at random. Demand averages below Q, so goodput is bound
 *         by demand; the number to watch is the 429 share. A wave lands at a random point of
 *         whatever window the trickle opened: late in it, a fixed window admits the rest of that
 *         window and then a whole fresh one back to back, into a bucket that has not refilled.
 */
const WORKLOADS = ['steady', 'waves'] as const;
type Workload = (typeof WORKLOADS)[number];
const STEADY_LOOPS = 4;
const TRICKLE_EVERY_MS = 250;
const WAVE_SIZE = 30;

const childConfig = z.object({
  url: z.string(),
  mode: z.enum(MODES),
  workload: z.enum(WORKLOADS),
  prefix: z.string(),
  redisUrl: z.string(),
  secUid: z.string(),
});
type ChildConfig = z.infer<typeof childConfig>;

const startMessage = z.object({
  startAt: z.number(),
  stopAt: z.number(),
  /** Wave times in ms after startAt; the same list for every process. */
  waves: z.array(z.number()),
});
type StartMessage = z.infer<typeof startMessage>;

const childReport = z.object({ sent: z.number(), ok: z.number(), limited: z.number(), errors: z.number() });
type ChildReport = z.infer<typeof childReport>;

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'parent' },
    config: { type: 'string' },
    seconds: { type: 'string', default: '30' },
    modes: { type: 'string', default: MODES.join(',') },
    workloads: { type: 'string', default: WORKLOADS.join(',') },
  },
});

if (values.role === 'child') {
  await runChild(childConfig.parse(JSON.parse(values.config ?? '{}')));
} else {
  await runParent();
}

async function runParent(): Promise<void> {
  const seconds = Number(values.seconds);
  if (!(seconds > 0 && seconds <= 600)) throw new Error('--seconds must be in (0, 600]');
  const modes = (values.modes ?? '').split(',').map((mode) => z.enum(MODES).parse(mode.trim()));
  const workloads = (values.workloads ?? '').split(',').map((workload) => z.enum(WORKLOADS).parse(workload.trim()));
  const { REDIS_URL = DEFAULT_REDIS_URL } = loadEnv(commonEnvFields.pick({ REDIS_URL: true }));

  console.log(`quota goodput: ${PROCESSES} processes, one API key, one limiter prefix, Q = ${QUOTA_PER_SECOND}/s, ${seconds} s per row`);
  const rows: Array<Record<string, string>> = [];
  for (const workload of workloads) {
    for (const mode of modes) rows.push(await measure(workload, mode, seconds, REDIS_URL));
  }
  console.table(rows);
  console.log('goodput ÷ Q = 200s per second ÷ Q (goal ≥ 0.95 under steady; waves is demand-bound by design)');
  console.log('429 share = 429s ÷ all answers the sandbox gave (goal ≤ 1%)');
}

async function measure(workload: Workload, mode: Mode, seconds: number, redisUrl: string): Promise<Record<string, string>> {
  // A fresh sandbox per row: its bucket starts full and its counters start at zero.
  const sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: QUOTA_PER_SECOND } });
  const prefix = `{bench-${randomUUID()}}:quota`;
  const redis = new Redis(redisUrl);
  const children: Array<ReturnType<typeof startChild>> = [];
  try {
    const probe = new TikApiClient({ baseUrl: sandbox.url, apiKey: 'bench-probe-key' });
    const { secUid } = await probe.checkUser('user_100000');
    await probe.close();

    const config: ChildConfig = { url: sandbox.url, mode, workload, prefix, redisUrl, secUid };
    for (let i = 0; i < PROCESSES; i++) children.push(startChild(config));
    // Booting tsx takes seconds on a busy machine; the window opens only once every child is ready.
    await Promise.all(children.map((child) => child.ready));

    sandbox.reset();
    const startAt = Date.now() + 200;
    const stopAt = startAt + seconds * 1000;
    const waves: number[] = [];
    for (let at = 1000 + Math.random() * 1000; at < seconds * 1000 - 500; at += 3000 + Math.random() * 3000) waves.push(Math.round(at));
    const reports = await Promise.all(children.map((child) => child.run({ startAt, stopAt, waves })));

    const endpoint = sandbox.stats().requests.byEndpoint['GET /public/followers'];
    const ok = endpoint?.byStatus['200'] ?? 0;
    const limited = endpoint?.byStatus['429'] ?? 0;
    const total = endpoint?.total ?? 0;
    const goodput = ok / seconds / QUOTA_PER_SECOND;
    const share = limited / Math.max(1, total);
    const met = workload === 'steady' ? goodput >= 0.95 && share <= 0.01 : share <= 0.01;
    return {
      workload,
      limiter: mode,
      answers: String(total),
      // Not bare '200'/'429': integer-like keys would jump to the front of the table.
      'ok (200)': String(ok),
      'limited (429)': String(limited),
      '200/s': (ok / seconds).toFixed(1),
      'goodput ÷ Q': goodput.toFixed(3),
      '429 share': `${(100 * share).toFixed(2)}%`,
      'other errors': String(reports.reduce((sum, report) => sum + report.errors, 0)),
      'goal met': met ? 'yes' : 'no',
    };
  } finally {
    for (const child of children) child.kill();
    await deleteKeys(redis, prefix);
    redis.disconnect();
    await sandbox.close();
  }
}

/** Forks this script as a child; `ready` resolves once it has booted, `run` starts its window. */
function startChild(config: ChildConfig) {
  const child = fork(fileURLToPath(import.meta.url), ['--role', 'child', '--config', JSON.stringify(config)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit').then(([code]: unknown[]) => {
    throw new Error(`bench child exited early with ${String(code)}`);
  });
  // Keep an early exit from being an unhandled rejection before anyone awaits it.
  exited.catch(() => undefined);
  const next = async (): Promise<unknown> => {
    const received: unknown[] = (await Promise.race([once(child, 'message'), exited])) as unknown[];
    return received[0];
  };
  return {
    ready: Promise.race([next(), sleep(120_000).then(() => Promise.reject(new Error('bench child did not boot in 120 s')))]),
    async run(start: StartMessage): Promise<ChildReport> {
      const killer = setTimeout(() => child.kill('SIGKILL'), start.stopAt - Date.now() + 30_000);
      try {
        child.send(start);
        return childReport.parse(await next());
      } finally {
        clearTimeout(killer);
      }
    },
    kill(): void {
      if (child.exitCode === null) child.kill();
    },
  };
}

async function runChild(config: ChildConfig): Promise<void> {
  const client = new TikApiClient({ baseUrl: config.url, apiKey: API_KEY, timeoutMs: 5000 });
  const redis = new Redis(config.redisUrl);
  await redis.ping();
  const gate: QuotaGate | null =
    config.mode === 'gcra'
      ? new QuotaLimiter({ redis, keyPrefix: config.prefix, limits: { apiKeyPerSecond: QUOTA_PER_SECOND } })
      : config.mode === 'rlf'
        ? new FixedWindowQuotaLimiter({ redis, keyPrefix: config.prefix, limits: { apiKeyPerSecond: QUOTA_PER_SECOND } })
        : null;

  const started = once(process, 'message');
  process.send?.('ready');
  const message: unknown = ((await started) as unknown[])[0];
  const { startAt, stopAt, waves } = startMessage.parse(message);

  const report: ChildReport = { sent: 0, ok: 0, limited: 0, errors: 0 };
  const scopes = [client.quotaScope];
  const signal = AbortSignal.timeout(Math.max(1, stopAt - Date.now()));
  // Every waiting request listens on this one signal; dozens at once is the design, not a leak.
  setMaxListeners(0, signal);
  const running = () => Date.now() < stopAt && report.sent < MAX_REQUESTS_PER_PROCESS;

  /** One logical request: retried after 429s until it succeeds, fails otherwise, or time is up. */
  const request = async (): Promise<void> => {
    while (running()) {
      try {
        if (gate !== null) await waitForTurn(gate, scopes, { signal });
        if (!running()) return;
        report.sent++;
        await client.followersPage({ secUid: config.secUid, count: 30 });
        report.ok++;
        return;
      } catch (e) {
        const error = toError(e);
        if (error.name === 'AbortError') return;
        if (!(error instanceof RateLimited)) {
          report.errors++;
          return;
        }
        report.limited++;
        // The baseline retries at once; the limiters pause the whole fleet on this scope.
        if (gate !== null && error.scope !== null) await gate.block(error.scope, error.retryAfterMs);
      }
    }
  };

  await sleep(Math.max(0, startAt - Date.now()));
  if (config.workload === 'steady') {
    await Promise.all(
      Array.from({ length: STEADY_LOOPS }, async () => {
        while (running()) await request();
      }),
    );
  } else {
    const pending: Array<Promise<void>> = [];
    const trickle = async (): Promise<void> => {
      while (running()) {
        pending.push(request());
        await sleep(TRICKLE_EVERY_MS);
      }
    };
    const releaseWaves = async (): Promise<void> => {
      for (const offset of waves) {
        await sleep(Math.max(0, startAt + offset - Date.now()));
        for (let i = 0; i < WAVE_SIZE; i++) pending.push(request());
      }
    };
    await Promise.all([trickle(), releaseWaves()]);
    await Promise.all(pending);
  }

  await gate?.close();
  redis.disconnect();
  await client.close();
  process.send?.(report, () => process.exit(0));
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}
