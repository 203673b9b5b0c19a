/**
 * Crawl ingest: one big followers crawl through the real pipeline (API-style insert + enqueue, one
 * worker process, segments, limiter, per-page checkpoint statements) against a plain loop that
 * fetches pages from the same kind of unlimited sandbox and commits them with the same SQL, with no
 * queue. Prints pipeline rows/s ÷ plain rows/s (goal ≥ 0.8) and the worker process's peak RSS.
 *
 * Two comparisons, because a shared host's load moves a lot within minutes (fsync latency above
 * all: every page is one commit):
 * - side by side (the headline): the plain loop runs at the same time in its own database and is
 *   measured over exactly the pipeline's window, so both see the same load;
 * - sequential: the plain loop alone before and after the pipeline alone, ratio against their mean.
 *
 *   cd bench && pnpm exec tsx crawl-ingest.ts [--followers 200000] [--no-sequential]
 *
 * Loopback only; each phase is bounded by --timeout-s (default 900).
 */
import { parseArgs } from 'node:util';
import { formatMb } from './lib/crawl-bench';
import { pipeline, plainLoop, type IngestResult } from './lib/crawl-ingest-runs';

const { values } = parseArgs({
  options: {
    followers: { type: 'string', default: '200000' },
    'no-sequential': { type: 'boolean', default: false },
    'timeout-s': { type: 'string', default: '900' },
  },
});
const FOLLOWERS = Number(values.followers);
const TIMEOUT_MS = Number(values['timeout-s']) * 1000;
if (!Number.isSafeInteger(FOLLOWERS) || FOLLOWERS < 30) throw new Error('--followers must be an integer >= 30');

function describe(label: string, result: IngestResult): string {
  const rss = result.peakRss === null ? '' : `, worker peak RSS ${formatMb(result.peakRss)}`;
  return `${label.padEnd(24)} ${String(result.rows).padStart(7)} rows, ${(result.ms / 1000).toFixed(1).padStart(6)} s, ${result.rowsPerSecond.toFixed(0).padStart(5)} rows/s${rss}`;
}

async function main(): Promise<void> {
  console.log(`crawl-ingest: user_${FOLLOWERS}, unlimited sandbox\n`);
  const side = await pipeline(FOLLOWERS, { timeoutMs: TIMEOUT_MS, log: console.log, sideBySide: true });
  if (side.plainAlongside === null) throw new Error('no side-by-side plain result');
  console.log(describe('pipeline', side));
  console.log(describe('plain loop, same window', side.plainAlongside));
  const sideRatio = side.rowsPerSecond / side.plainAlongside.rowsPerSecond;
  let worstRss = side.peakRss;

  let sequentialRatio: number | null = null;
  if (!values['no-sequential']) {
    console.log('');
    const before = await plainLoop(FOLLOWERS, { timeoutMs: TIMEOUT_MS });
    console.log(describe('plain loop alone', before));
    const alone = await pipeline(FOLLOWERS, { timeoutMs: TIMEOUT_MS, log: console.log });
    console.log(describe('pipeline alone', alone));
    const after = await plainLoop(FOLLOWERS, { timeoutMs: TIMEOUT_MS });
    console.log(describe('plain loop alone', after));
    if ([before, alone, after].some((result) => result.rows !== FOLLOWERS)) throw new Error('a run did not store every follower');
    sequentialRatio = alone.rowsPerSecond / ((before.rowsPerSecond + after.rowsPerSecond) / 2);
    if (alone.peakRss !== null && (worstRss === null || alone.peakRss > worstRss)) worstRss = alone.peakRss;
  }
  if (side.rows !== FOLLOWERS) throw new Error('the pipeline did not store every follower');

  console.log(`\npipeline rows/s ÷ plain loop rows/s, side by side = ${sideRatio.toFixed(3)} (goal >= 0.8)`);
  if (sequentialRatio !== null) console.log(`pipeline rows/s ÷ plain loop rows/s, sequential    = ${sequentialRatio.toFixed(3)}`);
  console.log(`worker peak RSS (VmHWM) = ${formatMb(worstRss)}`);
}

await main();
