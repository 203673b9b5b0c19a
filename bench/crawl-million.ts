/**
 * A 1,000,000-follower crawl through the real pipeline (one worker process, production segment and
 * stall settings, unlimited sandbox). Prints its rows/s and the worker's peak RSS (VmHWM), which must
 * stay under 300 MB: nothing in the worker may grow with the size of a crawl. Exits 1 otherwise.
 *
 *   cd bench && pnpm exec tsx crawl-million.ts [--followers 1000000] [--timeout-s 2400]
 */
import { parseArgs } from 'node:util';
import { formatMb, MB } from './lib/crawl-bench';
import { pipeline } from './lib/crawl-ingest-runs';

const LIMIT_MB = 300;
const { values } = parseArgs({
  options: {
    followers: { type: 'string', default: '1000000' },
    'timeout-s': { type: 'string', default: '2400' },
  },
});

const followers = Number(values.followers);
console.log(`crawl-million: user_${followers} through the pipeline`);
const result = await pipeline(followers, { timeoutMs: Number(values['timeout-s']) * 1000, log: console.log });
console.log(`${result.rows} rows in ${result.pages} pages, ${(result.ms / 1000).toFixed(1)} s, ${result.rowsPerSecond.toFixed(0)} rows/s`);
console.log(`worker peak RSS (VmHWM) = ${formatMb(result.peakRss)} (limit ${LIMIT_MB} MB)`);
if (result.rows !== followers) {
  console.log(`FAIL: stored ${result.rows} of ${followers}`);
  process.exitCode = 1;
} else if (result.peakRss === null || result.peakRss >= LIMIT_MB * MB) {
  console.log('FAIL: peak RSS not under the limit');
  process.exitCode = 1;
}
