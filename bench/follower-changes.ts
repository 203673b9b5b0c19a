/**
 * Follower changes between two 1,000,000-follower crawls, against reading both crawls' items once,
 * and what keeping the change counters costs the second crawl's ingest.
 *
 * The previous crawl is written straight into a fresh database with generate_series: N followers,
 * every one with a tiktok_users row. The current crawl is then stored the way workers store it, page
 * by page through applyCrawlPage (30 users a page, as upstream lists them): the previous list without
 * every hundredth follower, plus N/100 new ones (1 % churn each way). User ids are 19-digit numbers
 * scattered with respect to position, as TikTok's are. Each current page counts, in its own
 * statement, how many of its new items the previous crawl has (crawls.baseline_matches).
 *
 * - ingest: the same pages are also stored into a control crawl of another target, which has no
 *   previous crawl and so counts nothing; the two are stored page by page in alternation (which one
 *   goes first alternating too), so both see the same cache and the same tiktok_users rows. With vs
 *   without is the counting's price, paid once per crawl, at ingest. (The control still runs the
 *   page statement's counting CTEs with a null baseline; they cost one empty scalar subquery.)
 *
 * Then, in rounds, median of each:
 *
 * - read (SQL): one statement reading every item id of both crawls (count + sum of lengths, through
 *   the same (crawl_id, item_id) index). The baseline: "read both crawls' items once" at the place
 *   the changes are computed, with nothing sent anywhere; Postgres may run it in parallel.
 * - read (stream): both crawls' items streamed into this process through crawlItemsAfter, the
 *   batches the items export uses. What reading both crawls costs a client that wants to diff them.
 * - changes: followerChangeCounts, what GET /v1/crawls/:id/changes runs (gained and lost; from the
 *   counters, since nothing else of the target completed while the current crawl ran).
 * - changes (SQL): countFollowerChanges, the full join followerChangeCounts falls back to when the
 *   counters do not apply (another crawl of the target completed while this one ran). For reference.
 * - gained / lost items: every changed item streamed through followerChangeItemsAfter in the
 *   export's batches, as GET /v1/crawls/:id/changes/items?format=ndjson does.
 *
 * The ratio changes ÷ read (SQL) is the target (at most 2), and this process's peak RSS (VmHWM) under
 * 300 MB; exits 1 otherwise. Rounds run first on the rows as inserted (as right after a crawl,
 * before autovacuum), then again after VACUUM ANALYZE.
 *
 *   cd bench && pnpm exec tsx follower-changes.ts [--followers 1000000] [--rounds 3]
 *
 * Postgres: DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432); the scratch
 * database is dropped at the end, also on failure.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  applyCrawlPage,
  countFollowerChanges,
  createDb,
  crawlItemsAfter,
  finishCrawl,
  followerChangeCounts,
  followerChangeItemsAfter,
  insertCrawl,
  startCrawlRun,
  type CrawledUser,
  type DbHandle,
} from '@pubcrawl/db';
import { freshMigratedDatabase } from '@pubcrawl/testing';
import { benchServices, formatMb, MB } from './lib/crawl-bench';

const LIMIT_MB = 300;
const RATIO_LIMIT = 2;
/** The API's export batch (apps/api services/crawl-export EXPORT_BATCH_ROWS). */
const BATCH = 1_000;

const { values } = parseArgs({
  options: {
    followers: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
  },
});
const followers = Number(values.followers);
const rounds = Number(values.rounds);

interface Crawls {
  previous: string;
  current: string;
}

const TARGET = 'MS4wLjABAAAAbench-follower-changes';
/** Upstream's followers page size (packages/tiktok MAX_PAGE_SIZE). */
const PAGE_SIZE = 30;
const churn = Math.floor(followers / 100);

// Slot s is one person: id(s) = 7e18 + (s · 2654435761 mod 10^12), unique (the multiplier is
// coprime with 10^12), 19 digits, so text order is numeric order and unrelated to position.
const idSql = (slot: string) => `(7000000000000000000::bigint + (${slot}::bigint * 2654435761) % 1000000000000)::text`;
// The same in JS: the product stays below 2^53 for any slot this bench uses.
const idOf = (slot: number): string => `7${String((slot * 2654435761) % 1e12).padStart(18, '0')}`;
/** What the seed stored for slot s, so re-listing a user leaves its row alone, as for an unchanged follower. */
const userOf = (slot: number): CrawledUser => ({ id: idOf(slot), secUid: `MS4wLjABAAAA${slot}`, uniqueId: `fan_${slot}`, nickname: `Fan ${slot}`, followerCount: slot % 1000, raw: {} });

/** The previous crawl and every user, written in SQL; returns the previous crawl's id. */
async function seedPrevious(handle: DbHandle): Promise<string> {
  const previous = await handle.db.transaction((tx) => insertCrawl(tx, { kind: 'followers', target: { secUid: TARGET } }));
  if (previous === null) throw new Error('insertCrawl returned null');
  await handle.pool.query(
    `insert into tiktok_users (id, sec_uid, unique_id, nickname, follower_count, raw)
     select ${idSql('s')}, 'MS4wLjABAAAA' || s, 'fan_' || s, 'Fan ' || s, s % 1000, '{}'::jsonb from generate_series(0, $1::int - 1) s`,
    [followers + churn],
  );
  // Previous: slots 0 … N−1.
  await handle.pool.query(`insert into crawl_items (crawl_id, item_id, position) select $1, ${idSql('s')}, s from generate_series(0, $2::int - 1) s`, [previous.id, followers]);
  await handle.pool.query(
    `update crawls set status = 'completed', finish_reason = 'exhausted', items = (select count(*) from crawl_items where crawl_id = crawls.id),
            started_at = now() - interval '8 days', finished_at = now() - interval '7 days'
      where id = $1`,
    [previous.id],
  );
  return previous.id;
}

/** The current list: the previous one without every hundredth follower (s mod 100 = 37), then N … N + N/100 − 1. */
function* currentPages(): Generator<{ users: CrawledUser[]; last: boolean }> {
  let page: CrawledUser[] = [];
  for (let slot = 0; slot < followers + churn; slot++) {
    if (slot < followers && slot % 100 === 37) continue;
    if (page.length === PAGE_SIZE) {
      yield { users: page, last: false };
      page = [];
    }
    page.push(userOf(slot));
  }
  yield { users: page, last: true };
}

interface Ingest {
  current: string;
  /** Total time in applyCrawlPage for each crawl, in ms. */
  counting: number;
  control: number;
  pages: number;
  items: number;
}

async function startRunning(handle: DbHandle, secUid: string): Promise<{ id: string; generation: number }> {
  const crawl = await handle.db.transaction((tx) => insertCrawl(tx, { kind: 'followers', target: { secUid } }));
  if (crawl === null) throw new Error('insertCrawl returned null');
  await startCrawlRun(handle.db, crawl.id, crawl.generation);
  return { id: crawl.id, generation: crawl.generation };
}

/** Stores the current list into the current crawl (counting) and a control crawl (nothing to count), page by page in alternation. */
async function ingestCurrent(handle: DbHandle): Promise<Ingest> {
  const current = await startRunning(handle, TARGET);
  const control = await startRunning(handle, `${TARGET}-control`);
  const spent = new Map([
    [current.id, 0],
    [control.id, 0],
  ]);
  let pages = 0;
  let items = 0;
  const store = async (crawl: { id: string; generation: number }, users: CrawledUser[], last: boolean) => {
    const start = performance.now();
    const result = await applyCrawlPage(handle.db, {
      guard: { crawlId: crawl.id, generation: crawl.generation, pages, segmentPages: 0 },
      rows: { kind: 'followers', users },
      next: { cursor: last ? null : String(pages + 1), hasMore: !last },
      maxNewItems: null,
    });
    spent.set(crawl.id, (spent.get(crawl.id) ?? 0) + performance.now() - start);
    if (!result.applied) throw new Error('a bench page was not applied');
    return result.inserted;
  };
  for (const { users, last } of currentPages()) {
    const order = pages % 2 === 0 ? [current, control] : [control, current];
    for (const crawl of order) {
      const inserted = await store(crawl, users, last);
      if (crawl === current) items += inserted;
    }
    pages++;
  }
  for (const crawl of [current, control]) {
    if ((await finishCrawl(handle.db, crawl.id, crawl.generation, { status: 'completed', finishReason: 'exhausted' })) === null) throw new Error('a bench crawl did not complete');
  }
  return { current: current.id, counting: spent.get(current.id) ?? 0, control: spent.get(control.id) ?? 0, pages, items };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

async function readInSql(handle: DbHandle, crawls: Crawls): Promise<number> {
  const result = await handle.pool.query<{ n: number; chars: string }>(
    'select count(*)::int as n, sum(length(item_id))::text as chars from crawl_items where crawl_id in ($1, $2)',
    [crawls.previous, crawls.current],
  );
  return result.rows[0]?.n ?? 0;
}

async function readStreamed(handle: DbHandle, crawls: Crawls): Promise<number> {
  let rows = 0;
  for (const id of [crawls.previous, crawls.current]) {
    let after = -1;
    for (;;) {
      const batch = await crawlItemsAfter(handle.db, { id, kind: 'followers' }, after, BATCH);
      rows += batch.length;
      const last = batch[batch.length - 1];
      if (last === undefined || batch.length < BATCH) break;
      after = last.position;
    }
  }
  return rows;
}

async function streamChanges(handle: DbHandle, sides: { inCrawlId: string; notInCrawlId: string }): Promise<number> {
  let rows = 0;
  let after = -1;
  for (;;) {
    const batch = await followerChangeItemsAfter(handle.db, sides, after, BATCH);
    // What the export does with each row, so the work is not optimised away.
    for (const row of batch) rows += JSON.stringify(row).length > 0 ? 1 : 0;
    const last = batch[batch.length - 1];
    if (last === undefined || batch.length < BATCH) return rows;
    after = last.position;
  }
}

async function peakRss(): Promise<number> {
  const status = await readFile('/proc/self/status', 'utf8');
  const kb = /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kb === undefined ? process.memoryUsage().rss : Number(kb) * 1024;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

interface Figures {
  readSql: number;
  readStream: number;
  changes: number;
  changesSql: number;
  gained: number;
  lost: number;
}

async function measure(handle: DbHandle, crawls: Crawls, label: string): Promise<Figures> {
  const samples: Record<keyof Figures, number[]> = { readSql: [], readStream: [], changes: [], changesSql: [], gained: [], lost: [] };
  for (let round = 0; round < rounds; round++) {
    const sql = await timed(() => readInSql(handle, crawls));
    const stream = await timed(() => readStreamed(handle, crawls));
    const counts = await timed(() => followerChangeCounts(handle.db, crawls.current));
    const inSql = await timed(() => countFollowerChanges(handle.db, crawls.current, crawls.previous));
    const gained = await timed(() => streamChanges(handle, { inCrawlId: crawls.current, notInCrawlId: crawls.previous }));
    const lost = await timed(() => streamChanges(handle, { inCrawlId: crawls.previous, notInCrawlId: crawls.current }));
    if (counts.value.gained !== gained.value || counts.value.lost !== lost.value) {
      throw new Error(`counts ${JSON.stringify(counts.value)} disagree with streamed items (gained ${gained.value}, lost ${lost.value})`);
    }
    if (inSql.value.gained !== counts.value.gained || inSql.value.lost !== counts.value.lost) {
      throw new Error(`counts ${JSON.stringify(counts.value)} disagree with the SQL count ${JSON.stringify(inSql.value)}`);
    }
    if (sql.value !== stream.value) throw new Error(`read ${sql.value} rows in SQL but streamed ${stream.value}`);
    samples.readSql.push(sql.ms);
    samples.readStream.push(stream.ms);
    samples.changes.push(counts.ms);
    samples.changesSql.push(inSql.ms);
    samples.gained.push(gained.ms);
    samples.lost.push(lost.ms);
    console.log(
      `  ${label} round ${round + 1}: read SQL ${sql.ms.toFixed(0)} ms, read stream ${stream.ms.toFixed(0)} ms, changes ${counts.ms.toFixed(1)} ms, changes in SQL ${inSql.ms.toFixed(0)} ms ` +
        `(gained ${counts.value.gained}, lost ${counts.value.lost}), gained items ${gained.ms.toFixed(0)} ms, lost items ${lost.ms.toFixed(0)} ms`,
    );
  }
  return {
    readSql: median(samples.readSql),
    readStream: median(samples.readStream),
    changes: median(samples.changes),
    changesSql: median(samples.changesSql),
    gained: median(samples.gained),
    lost: median(samples.lost),
  };
}

function report(label: string, figures: Figures): number {
  const ratio = figures.changes / figures.readSql;
  console.log(`${label} (medians of ${rounds}):`);
  console.log(`  read both crawls once, in SQL      ${figures.readSql.toFixed(0).padStart(6)} ms`);
  console.log(`  changes (gained + lost counts)     ${figures.changes.toFixed(1).padStart(6)} ms   ratio ${ratio.toFixed(3)} (limit ${RATIO_LIMIT})`);
  console.log(`  changes in SQL (the fallback)      ${figures.changesSql.toFixed(0).padStart(6)} ms   ÷ read SQL ${(figures.changesSql / figures.readSql).toFixed(2)}`);
  console.log(`  read both crawls, streamed to Node ${figures.readStream.toFixed(0).padStart(6)} ms   changes ÷ this ${(figures.changes / figures.readStream).toFixed(2)}`);
  console.log(`  stream all gained items            ${figures.gained.toFixed(0).padStart(6)} ms   ÷ read SQL ${(figures.gained / figures.readSql).toFixed(2)}`);
  console.log(`  stream all lost items              ${figures.lost.toFixed(0).padStart(6)} ms   ÷ read SQL ${(figures.lost / figures.readSql).toFixed(2)}`);
  return ratio;
}

const { serverUrl } = benchServices();
const database = await freshMigratedDatabase(serverUrl, 'pubcrawl_bench');
const handle = createDb(database.url, { max: 2, applicationName: 'pubcrawl-bench' });
try {
  console.log(`follower-changes: two crawls of ${followers} followers, 1 % churn each way`);
  const seeding = await timed(() => seedPrevious(handle));
  console.log(`  previous crawl seeded in SQL in ${(seeding.ms / 1000).toFixed(1)} s`);
  const ingest = await ingestCurrent(handle);
  const crawls: Crawls = { previous: seeding.value, current: ingest.current };
  const perPage = (ms: number) => ((ms / ingest.pages) * 1000).toFixed(0);
  console.log(`ingest of the current crawl (${ingest.items} items, ${ingest.pages} pages of ${PAGE_SIZE}, through applyCrawlPage, alternating):`);
  console.log(`  without counting (control crawl)   ${(ingest.control / 1000).toFixed(1).padStart(6)} s    ${perPage(ingest.control)} µs/page`);
  console.log(
    `  with counting (baseline_matches)   ${(ingest.counting / 1000).toFixed(1).padStart(6)} s    ${perPage(ingest.counting)} µs/page   ` +
      `extra ${((ingest.counting - ingest.control) / 1000).toFixed(1)} s (${(((ingest.counting - ingest.control) / ingest.control) * 100).toFixed(1)} %)`,
  );
  // One untimed read first: the first scan after an insert also writes hint bits, which would be
  // charged to whichever measurement ran first.
  await readInSql(handle, crawls);
  const fresh = report('as inserted', await measure(handle, crawls, 'as inserted'));
  await handle.pool.query('vacuum analyze crawl_items');
  await handle.pool.query('vacuum analyze tiktok_users');
  const vacuumed = report('after VACUUM ANALYZE', await measure(handle, crawls, 'vacuumed'));
  const rss = await peakRss();
  console.log(`peak RSS (VmHWM) of this process = ${formatMb(rss)} (limit ${LIMIT_MB} MB)`);
  if (Math.max(fresh, vacuumed) > RATIO_LIMIT) {
    console.log(`FAIL: changes took more than ${RATIO_LIMIT}× the read`);
    process.exitCode = 1;
  }
  if (rss >= LIMIT_MB * MB) {
    console.log('FAIL: peak RSS not under the limit');
    process.exitCode = 1;
  }
} finally {
  await handle.close();
  await database.cleanup();
}
