/**
 * Crawl goodput and fairness: 8 followers crawls share ONE API key whose sandbox bucket allows
 * Q = 50 req/s, run by 4 worker processes (`pnpm worker`'s entry point, limiter set to the same Q).
 * Over a measured window it prints, from the sandbox's own counters:
 * - successful upstream req/s ÷ Q                (goal ≥ 0.95)
 * - the share of upstream answers that were 429  (goal ≤ 1%)
 * - the spread of progress between the crawls    (pages each committed in the window)
 *
 *   cd bench && pnpm exec tsx crawl-goodput.ts [--seconds 30] [--warmup-s 5]
 *
 * Loopback only; bounded by --warmup-s + --seconds plus process start-up. The crawls are too large
 * to finish inside the window, so demand never drops below the quota.
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SandboxStats } from '@pubcrawl/sandbox';
import { createCrawl, crawlState, spawnWorker, withBenchWorld, type BenchWorld, type WorkerProcess } from './lib/crawl-bench';

const QUOTA_PER_SECOND = 50;
const PROCESSES = 4;
const CRAWLS = 8;
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' }, 'warmup-s': { type: 'string', default: '5' } } });
const SECONDS = Number(values.seconds);
const WARMUP_MS = Number(values['warmup-s']) * 1000;
if (!(SECONDS > 0 && SECONDS <= 600)) throw new Error('--seconds must be in (0, 600]');

function upstreamCounts(stats: SandboxStats): { ok: number; limited: number; total: number } {
  let ok = 0;
  let limited = 0;
  let total = 0;
  for (const [endpoint, counts] of Object.entries(stats.requests.byEndpoint)) {
    if (!endpoint.startsWith('GET /public/')) continue;
    ok += counts.byStatus['200'] ?? 0;
    limited += counts.byStatus['429'] ?? 0;
    total += counts.total;
  }
  return { ok, limited, total };
}

async function pagesOf(world: BenchWorld, ids: readonly string[]): Promise<number[]> {
  return Promise.all(ids.map(async (id) => (await crawlState(world, id)).checkpoint.pages));
}

await withBenchWorld({ quotaPerSecond: QUOTA_PER_SECOND }, async (world) => {
  const workers: WorkerProcess[] = [];
  try {
    for (let index = 0; index < PROCESSES; index += 1) {
      workers.push(spawnWorker(world.workerEnv({ TIKAPI_REQUESTS_PER_SECOND: String(QUOTA_PER_SECOND), CRAWL_CONCURRENCY: '8' })));
    }
    const crawls = [];
    for (let index = 0; index < CRAWLS; index += 1) crawls.push(await createCrawl(world, { kind: 'followers', target: { username: `user_${1_000_000 + index}` } }));
    const ids = crawls.map((crawl) => crawl.id);

    // Warm-up: every process started and every crawl past its first page.
    const warmDeadline = Date.now() + 120_000;
    while ((await pagesOf(world, ids)).some((pages) => pages === 0)) {
      if (Date.now() > warmDeadline) throw new Error('crawls did not start within 120 s');
      await sleep(200);
    }
    await sleep(WARMUP_MS);

    const startStats = upstreamCounts(world.sandbox.stats());
    const startPages = await pagesOf(world, ids);
    const started = performance.now();
    await sleep(SECONDS * 1000);
    const endStats = upstreamCounts(world.sandbox.stats());
    const endPages = await pagesOf(world, ids);
    const elapsed = (performance.now() - started) / 1000;

    const ok = endStats.ok - startStats.ok;
    const limited = endStats.limited - startStats.limited;
    const total = endStats.total - startStats.total;
    const progress = endPages.map((pages, index) => pages - (startPages[index] ?? 0));
    const mean = progress.reduce((sum, pages) => sum + pages, 0) / progress.length;
    const stdev = Math.sqrt(progress.reduce((sum, pages) => sum + (pages - mean) ** 2, 0) / progress.length);
    const min = Math.min(...progress);
    const max = Math.max(...progress);

    console.log(`crawl-goodput: Q = ${QUOTA_PER_SECOND} req/s, ${PROCESSES} worker processes, ${CRAWLS} crawls, ${elapsed.toFixed(1)} s window`);
    console.log(`upstream answers: ${total} (${ok} ok, ${limited} 429)`);
    console.log(`successful req/s ÷ Q = ${(ok / elapsed).toFixed(2)} / ${QUOTA_PER_SECOND} = ${(ok / elapsed / QUOTA_PER_SECOND).toFixed(3)} (goal >= 0.95)`);
    console.log(`429 share = ${((100 * limited) / Math.max(1, total)).toFixed(2)}% (goal <= 1%)`);
    console.log(`pages per crawl in the window: ${progress.join(', ')}`);
    console.log(`spread: min ${min}, max ${max}, max/min ${(max / Math.max(1, min)).toFixed(2)}, stdev/mean ${(stdev / mean).toFixed(3)}`);
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
});
