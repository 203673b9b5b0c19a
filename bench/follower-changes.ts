/**
 * Follower changes between two 1,000,000-follower crawls, against reading both crawls' items once.
 *
 * Two completed followers crawls of one target are written straight into a fresh database with
 * generate_series (the crawl pipeline has its own bench): the previous crawl has N followers, the
 * current one drops every hundredth of them and adds N/100 new ones (1 % churn each way). User ids
 * are 19-digit numbers scattered with respect to position, as TikTok's are, and every follower has a
 * tiktok_users row. Then, in rounds, median of each:
 *
 * - read (SQL): one statement reading every item id of both crawls (count + sum of lengths, through
 *   the same (crawl_id, item_id) index). The baseline: "read both crawls' items once" at the place
 *   the changes are computed, with nothing sent anywhere; Postgres may run it in parallel.
 * - read (stream): both crawls' items streamed into this process through crawlItemsAfter, the
 *   batches the items export uses. What reading both crawls costs a client that wants to diff them.
 * - changes: followerChangeCounts, what GET /v1/crawls/:id/changes runs (gained and lost).
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
import { createDb, crawlItemsAfter, followerChangeCounts, followerChangeItemsAfter, insertCrawl, type DbHandle } from '@pubcrawl/db';
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

/** Writes both crawls and their items; returns their ids. */
async function seed(handle: DbHandle): Promise<Crawls> {
  const target = { kind: 'followers' as const, target: { secUid: 'MS4wLjABAAAAbench-follower-changes' } };
  const previous = await handle.db.transaction((tx) => insertCrawl(tx, target));
  const current = await handle.db.transaction((tx) => insertCrawl(tx, target));
  if (previous === null || current === null) throw new Error('insertCrawl returned null');
  const churn = Math.floor(followers / 100);
  // Slot s is one person: id(s) = 7e18 + (s · 2654435761 mod 10^12), unique (the multiplier is
  // coprime with 10^12), 19 digits, so text order is numeric order and unrelated to position.
  const id = (slot: string) => `(7000000000000000000::bigint + (${slot}::bigint * 2654435761) % 1000000000000)::text`;
  await handle.pool.query(
    `insert into tiktok_users (id, sec_uid, unique_id, nickname, follower_count, raw)
     select ${id('s')}, 'MS4wLjABAAAA' || s, 'fan_' || s, 'Fan ' || s, s % 1000, '{}'::jsonb from generate_series(0, $1::int - 1) s`,
    [followers + churn],
  );
  // Previous: slots 0 … N−1. Current: those without every hundredth (s mod 100 = 37), then N … N + N/100 − 1.
  await handle.pool.query(`insert into crawl_items (crawl_id, item_id, position) select $1, ${id('s')}, s from generate_series(0, $2::int - 1) s`, [previous.id, followers]);
  await handle.pool.query(
    `insert into crawl_items (crawl_id, item_id, position)
     select $1, ${id('s')}, (row_number() over (order by s) - 1)::int from generate_series(0, $2::int - 1) s where s % 100 <> 37 or s >= $3`,
    [current.id, followers + churn, followers],
  );
  await handle.pool.query(
    `update crawls set status = 'completed', finish_reason = 'exhausted', items = (select count(*) from crawl_items where crawl_id = crawls.id),
            finished_at = now() - case when id = $1 then interval '7 days' else interval '0' end
      where id in ($1, $2)`,
    [previous.id, current.id],
  );
  return { previous: previous.id, current: current.id };
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
  gained: number;
  lost: number;
}

async function measure(handle: DbHandle, crawls: Crawls, label: string): Promise<Figures> {
  const samples: Record<keyof Figures, number[]> = { readSql: [], readStream: [], changes: [], gained: [], lost: [] };
  for (let round = 0; round < rounds; round++) {
    const sql = await timed(() => readInSql(handle, crawls));
    const stream = await timed(() => readStreamed(handle, crawls));
    const counts = await timed(() => followerChangeCounts(handle.db, crawls.current));
    const gained = await timed(() => streamChanges(handle, { inCrawlId: crawls.current, notInCrawlId: crawls.previous }));
    const lost = await timed(() => streamChanges(handle, { inCrawlId: crawls.previous, notInCrawlId: crawls.current }));
    if (counts.value.gained !== gained.value || counts.value.lost !== lost.value) {
      throw new Error(`counts ${JSON.stringify(counts.value)} disagree with streamed items (gained ${gained.value}, lost ${lost.value})`);
    }
    if (sql.value !== stream.value) throw new Error(`read ${sql.value} rows in SQL but streamed ${stream.value}`);
    samples.readSql.push(sql.ms);
    samples.readStream.push(stream.ms);
    samples.changes.push(counts.ms);
    samples.gained.push(gained.ms);
    samples.lost.push(lost.ms);
    console.log(
      `  ${label} round ${round + 1}: read SQL ${sql.ms.toFixed(0)} ms, read stream ${stream.ms.toFixed(0)} ms, changes ${counts.ms.toFixed(0)} ms ` +
        `(gained ${counts.value.gained}, lost ${counts.value.lost}), gained items ${gained.ms.toFixed(0)} ms, lost items ${lost.ms.toFixed(0)} ms`,
    );
  }
  return { readSql: median(samples.readSql), readStream: median(samples.readStream), changes: median(samples.changes), gained: median(samples.gained), lost: median(samples.lost) };
}

function report(label: string, figures: Figures): number {
  const ratio = figures.changes / figures.readSql;
  console.log(`${label} (medians of ${rounds}):`);
  console.log(`  read both crawls once, in SQL      ${figures.readSql.toFixed(0).padStart(6)} ms`);
  console.log(`  changes (gained + lost counts)     ${figures.changes.toFixed(0).padStart(6)} ms   ratio ${ratio.toFixed(2)} (limit ${RATIO_LIMIT})`);
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
  const seeding = await timed(() => seed(handle));
  const crawls = seeding.value;
  console.log(`  seeded in ${(seeding.ms / 1000).toFixed(1)} s`);
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
