/**
 * The two ways of ingesting a followers list that bench/crawl-ingest compares (and that
 * bench/crawl-million runs at scale): the real pipeline (API-style insert + enqueue, a worker
 * process, segments, limiter, checkpoints) and a plain loop that fetches the same pages and commits
 * them with the same SQL (applyCrawlPage) with no queue, limiter or segments. Both run as child
 * processes of this one, which hosts the sandbox and polls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { createCrawl, crawlState, formatMb, spawnWorker, withBenchWorld, type BenchWorld } from './crawl-bench';

export interface IngestResult {
  rows: number;
  pages: number;
  ms: number;
  rowsPerSecond: number;
  /** Worker process peak RSS (VmHWM); pipeline only. */
  peakRss: number | null;
}

const plainChild = fileURLToPath(new URL('./plain-loop-child.ts', import.meta.url));
const plainLine = z.object({ rows: z.number(), pages: z.number(), ms: z.number() });

function startPlainLoop(world: BenchWorld, usernames: readonly string[], repeat: boolean): ChildProcess {
  const args = ['--import', 'tsx', plainChild, world.sandbox.url, world.databaseUrl, usernames.join(','), ...(repeat ? ['--repeat'] : [])];
  return spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Fetch page, commit page, repeat, alone on the host: the floor pipeline overhead is measured against. */
export async function plainLoop(followers: number, options: { timeoutMs: number }): Promise<IngestResult> {
  return withBenchWorld({ quotaPerSecond: 0 }, async (world) => {
    const child = startPlainLoop(world, [`user_${followers}`], false);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    if (code !== 0) throw new Error(`plain loop exited with ${code}`);
    const result = plainLine.parse(JSON.parse(output.trim().split('\n').pop() ?? ''));
    return { ...result, rowsPerSecond: (result.rows * 1000) / result.ms, peakRss: null };
  });
}

export interface PipelineOptions {
  timeoutMs: number;
  log?: (line: string) => void;
  /**
   * Runs the plain loop at the same time, in a world of its own, and measures it over exactly the
   * pipeline's window; both then see the same host load.
   */
  sideBySide?: boolean;
}

export interface PipelineResult extends IngestResult {
  /** The plain loop's rate over the pipeline's window (side-by-side mode only). */
  plainAlongside: IngestResult | null;
}

/**
 * The real thing: one worker process (`pnpm worker`'s entry point) with the production defaults for
 * segments and stall detection, a limiter that never says no (the sandbox is unlimited, so this
 * measures the pipeline, not the quota), and the crawl created as the API creates it. Timed from
 * the crawl's startedAt to its finishedAt, so process start-up is not counted against it.
 */
export async function pipeline(followers: number, options: PipelineOptions): Promise<PipelineResult> {
  return withBenchWorld({ quotaPerSecond: 0 }, async (world) => {
    if (!options.sideBySide) return runPipeline(world, followers, options, null);
    return withBenchWorld({ quotaPerSecond: 0 }, async (plainWorld) => {
      // Other users than the pipeline's, so neither run upserts rows the other already wrote.
      const plain = startPlainLoop(plainWorld, [1, 2, 3].map((offset) => `user_${followers + offset}`), true);
      try {
        const deadline = Date.now() + 60_000;
        while ((await storedItems(plainWorld)) === 0) {
          if (Date.now() > deadline || plain.exitCode !== null) throw new Error('the plain loop did not start');
          await sleep(100);
        }
        return await runPipeline(world, followers, options, plainWorld);
      } finally {
        plain.kill('SIGKILL');
        if (plain.exitCode === null && plain.signalCode === null) await once(plain, 'exit');
      }
    });
  });
}

async function storedItems(world: BenchWorld): Promise<number> {
  const result = await world.db.pool.query<{ items: string | null }>('select sum(items) as items from crawls');
  return Number(result.rows[0]?.items ?? 0);
}

async function runPipeline(world: BenchWorld, followers: number, options: PipelineOptions, plainWorld: BenchWorld | null): Promise<PipelineResult> {
  const worker = spawnWorker(world.workerEnv({ TIKAPI_REQUESTS_PER_SECOND: '1000000' }));
  try {
    const crawl = await createCrawl(world, { kind: 'followers', target: { username: `user_${followers}` } });
    let window: { startedAt: number; plainAtStart: number } | null = null;
    let lastLog = Date.now();
    const deadline = Date.now() + options.timeoutMs;
    for (;;) {
      const { crawl: current, checkpoint } = await crawlState(world, crawl.id);
      if (window === null && current.status === 'running') {
        window = { startedAt: performance.now(), plainAtStart: plainWorld === null ? 0 : await storedItems(plainWorld) };
      }
      if (current.status !== 'queued' && current.status !== 'running') {
        const elapsed = window === null ? Number.NaN : performance.now() - window.startedAt;
        const plainRows = plainWorld === null || window === null ? null : (await storedItems(plainWorld)) - window.plainAtStart;
        const peakRss = await worker.peakRss();
        if (current.status !== 'completed' || current.startedAt === null || current.finishedAt === null) {
          throw new Error(`crawl ended ${current.status}: ${current.errorCode ?? ''} ${current.errorMessage ?? ''}`);
        }
        const ms = current.finishedAt.getTime() - current.startedAt.getTime();
        return {
          rows: current.items,
          pages: current.pages,
          ms,
          rowsPerSecond: (current.items * 1000) / ms,
          peakRss,
          plainAlongside: plainRows === null ? null : { rows: plainRows, pages: Math.ceil(plainRows / 30), ms: elapsed, rowsPerSecond: (plainRows * 1000) / elapsed, peakRss: null },
        };
      }
      if (Date.now() > deadline) throw new Error(`crawl still ${current.status} after ${options.timeoutMs} ms (pages ${checkpoint.pages})`);
      if (options.log !== undefined && Date.now() - lastLog >= 15_000) {
        lastLog = Date.now();
        options.log(`  ... ${current.items} rows, worker peak RSS so far ${formatMb(await worker.peakRss())}`);
      }
      await sleep(100);
    }
  } finally {
    await worker.stop();
  }
}
