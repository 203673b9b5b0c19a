import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../client';

/**
 * Who followed and who left between two completed followers crawls of the same target, computed in
 * Postgres: nothing here brings a crawl's items into Node, whatever its size. The counts are mostly
 * kept at ingest (applyCrawlPage's baseline_matches), the items are always looked up at read time.
 */

/** The crawl a followers crawl is compared with, and whether either of them stopped early. */
export interface FollowerChangeBaseline {
  previousCrawlId: string | null;
  /** Either crawl's finishReason is not `exhausted`: who is missing from it is unknown. */
  truncated: boolean;
}

/**
 * What changed since the previous crawl. `gained` counts the followers in this crawl that are not
 * in the previous one; `lost` those in the previous one that are not in this one, and is null when
 * either crawl stopped early (a follower the shorter list never reached is not a follower lost).
 * Both are null when there is no previous crawl: with no baseline there is nothing to count.
 */
export interface FollowerChangeCounts extends FollowerChangeBaseline {
  gained: number | null;
  lost: number | null;
}

/** A crawl that has a previous one: what `crawl.completed` carries for followers crawls. */
export interface FollowerChangeSummary {
  previousCrawlId: string;
  gained: number;
  lost: number | null;
  truncated: boolean;
}

/**
 * The latest completed followers crawl of crawl `c`'s target, `c` being a table alias with id,
 * resolved_id and target. Same target means the same resolved secUid; a crawl that never resolved one
 * (or a previous one that did not) matches on the target username instead, so a username crawl and a
 * secUid crawl of the same account compare once both are resolved. With `finishedBefore`, only
 * crawls that finished before `c` by (finished_at, created_at, id); without, the latest one now,
 * which is what a crawl still running will be compared with unless another one completes first.
 */
export function previousFollowersCrawl(c: string, options: { finishedBefore: boolean }): SQL {
  const alias = sql.raw(c);
  return sql`
    select p.id, p.finish_reason, p.items
      from crawls p
     where p.kind = 'followers' and p.status = 'completed' and p.id <> ${alias}.id
       and (p.resolved_id = ${alias}.resolved_id
            or ((p.resolved_id is null or ${alias}.resolved_id is null) and p.target ->> 'username' = ${alias}.target ->> 'username'))
       ${options.finishedBefore ? sql`and (p.finished_at, p.created_at, p.id) < (${alias}.finished_at, ${alias}.created_at, ${alias}.id)` : sql``}
     order by p.finished_at desc, p.created_at desc, p.id desc
     limit 1`;
}

/** The baseline and what the pages counted against the one picked at the first page. */
type BaselineRow = {
  previousCrawlId: string | null;
  truncated: boolean;
  /** The crawl the pages counted matches against; the counts hold only when it is previousCrawlId. */
  recordedBaselineId: string | null;
  baselineMatches: number;
  items: number;
  previousItems: number | null;
};

async function baselineRow(executor: Executor, crawlId: string): Promise<BaselineRow> {
  const result = await executor.execute<BaselineRow>(sql`
    select p.id as "previousCrawlId",
           (c.finish_reason is distinct from 'exhausted' or (p.id is not null and p.finish_reason is distinct from 'exhausted')) as truncated,
           c.baseline_crawl_id as "recordedBaselineId", c.baseline_matches as "baselineMatches", c.items, p.items as "previousItems"
      from crawls c
      left join lateral (${previousFollowersCrawl('c', { finishedBefore: true })}) p on true
     where c.id = ${crawlId}`);
  const row = result.rows[0];
  if (row === undefined) throw new Error(`crawl ${crawlId} does not exist`);
  return row;
}

/** The latest completed followers crawl of the same target that finished before `crawlId` (see previousFollowersCrawl). */
export async function followerChangeBaseline(executor: Executor, crawlId: string): Promise<FollowerChangeBaseline> {
  const { previousCrawlId, truncated } = await baselineRow(executor, crawlId);
  return { previousCrawlId, truncated };
}

/**
 * Gained and lost between two crawls in one statement: a full join of both crawls' item ids, which
 * reads each crawl once. Node gets one row. What followerChangeCounts falls back to when the counters
 * kept at ingest do not describe the comparison (1.5-2x the read of both crawls; the counters are O(1)).
 *
 * Left to the planner, which picks a hash full join over heap-order (bitmap) scans of both crawls.
 * Measured on two 1M-item crawls with ids scattered with respect to position (bench/follower-changes.ts):
 * 0.65 s on rows as inserted, against 1.46 s for a merge full join over the (crawl_id, item_id)
 * index, whose index-order heap fetches are random until a vacuum sets the visibility map (after one
 * the merge is 0.40 s and the hash 0.54 s). A crawl's changes are asked for, and sent in its webhook,
 * right after it completes, long before autovacuum reaches its rows, so the plan that does not
 * depend on the visibility map is the one to have. Past work_mem the hash spills to temporary files
 * in batches; Postgres's memory stays bounded whatever the crawls' size.
 */
export async function countFollowerChanges(executor: Executor, crawlId: string, previousCrawlId: string): Promise<{ gained: number; lost: number }> {
  return executor.transaction(async (tx) => {
    // Room for the hash of one 1M-follower crawl in memory (PG's default 4 MB split it into batches
    // spilled to disk: 2.5x the read of both crawls instead of under 2x). Transaction-local, so only
    // this statement's backend holds it, for the moment it runs.
    await tx.execute(sql`select set_config('work_mem', ${CHANGES_WORK_MEM}, true)`);
    return countIn(tx, crawlId, previousCrawlId);
  });
}

/** work_mem for the change count: what bounds Postgres's memory for one GET /changes. */
export const CHANGES_WORK_MEM = '64MB';

async function countIn(executor: Executor, crawlId: string, previousCrawlId: string): Promise<{ gained: number; lost: number }> {
  const result = await executor.execute<{ gained: number; lost: number }>(sql`
    select (count(*) filter (where p.item_id is null))::int as gained,
           (count(*) filter (where c.item_id is null))::int as lost
      from (select item_id from crawl_items where crawl_id = ${crawlId}) c
      full join (select item_id from crawl_items where crawl_id = ${previousCrawlId}) p on p.item_id = c.item_id`);
  const row = result.rows[0];
  if (row === undefined) throw new Error('an aggregate without GROUP BY returned no row');
  return row;
}

/**
 * The baseline and counts of a completed followers crawl (the caller checks kind and status).
 *
 * Usually two counters: applyCrawlPage counted, page by page, how many of this crawl's items are in
 * the crawl picked as its baseline at the first page, so gained = items − matches and lost =
 * previous items − matches (item ids are unique within a crawl). Only when the previous crawl is now
 * another one (a crawl of the same target completed while this one ran, or this crawl's first page
 * predates the counters) does it count in SQL, reading both crawls.
 */
export async function followerChangeCounts(executor: Executor, crawlId: string): Promise<FollowerChangeCounts> {
  const row = await baselineRow(executor, crawlId);
  const baseline: FollowerChangeBaseline = { previousCrawlId: row.previousCrawlId, truncated: row.truncated };
  if (row.previousCrawlId === null) return { ...baseline, gained: null, lost: null };
  const counts =
    row.recordedBaselineId === row.previousCrawlId && row.previousItems !== null
      ? { gained: row.items - row.baselineMatches, lost: row.previousItems - row.baselineMatches }
      : await countFollowerChanges(executor, crawlId, row.previousCrawlId);
  return { ...baseline, gained: counts.gained, lost: row.truncated ? null : counts.lost };
}

/** What `crawl.completed` carries: the counts when there is a previous crawl, otherwise null. */
export async function followerChangeSummary(executor: Executor, crawlId: string): Promise<FollowerChangeSummary | null> {
  const counts = await followerChangeCounts(executor, crawlId);
  if (counts.previousCrawlId === null || counts.gained === null) return null;
  return { previousCrawlId: counts.previousCrawlId, gained: counts.gained, lost: counts.lost, truncated: counts.truncated };
}

/** A follower present in one crawl and not the other, with what is stored about the user. */
export type FollowerChangeRow = {
  /** Its position in the crawl it is in: this crawl for gained, the previous crawl for lost. */
  position: number;
  itemId: string;
  uniqueId: string | null;
  nickname: string | null;
  secUid: string | null;
};

/**
 * Positions read per query while looking for changed items. Changes are sparse (about 1 % of a
 * crawl in the bench), so a page cannot be bounded by `limit` positions the way crawlItemsAfter
 * bounds its pages; a fixed window bounds each statement's work instead, and a page that needs more
 * reads further windows. 10,000 positions is about 10 ms of index probes.
 */
export const CHANGE_SCAN_WINDOW = 10_000;

/**
 * Up to `limit` items of crawl `inCrawlId` that are not in crawl `notInCrawlId`, after position
 * `afterPosition` (exclusive; -1 for the start), in `inCrawlId`'s upstream order. Gained items are
 * (this, previous); lost items are (previous, this).
 *
 * Each window is a range scan on (crawl_id, position) with one probe per row into the other crawl's
 * (crawl_id, item_id) index. Hash and merge joins are switched off for it: either would read the
 * whole other crawl (a million rows) for every 10,000-position window, which a planner that thinks
 * the other crawl is small (stale statistics again) would happily do.
 */
export async function followerChangeItemsAfter(
  executor: Executor,
  crawls: { inCrawlId: string; notInCrawlId: string },
  afterPosition: number,
  limit: number,
): Promise<FollowerChangeRow[]> {
  return executor.transaction(async (tx) => {
    const restore = await planForOrderedScans(tx, ['enable_hashjoin', 'enable_mergejoin']);
    const last = await tx.execute<{ last: number | null }>(sql`select max(position) as last from crawl_items where crawl_id = ${crawls.inCrawlId}`);
    const lastPosition = last.rows[0]?.last ?? -1;
    const rows: FollowerChangeRow[] = [];
    let from = afterPosition;
    while (rows.length < limit && from < lastPosition) {
      const to = Math.min(from + CHANGE_SCAN_WINDOW, lastPosition);
      const window = await tx.execute<FollowerChangeRow>(sql`
        select ci.position, ci.item_id as "itemId", u.unique_id as "uniqueId", u.nickname, u.sec_uid as "secUid"
          from crawl_items ci
          left join tiktok_users u on u.id = ci.item_id
         where ci.crawl_id = ${crawls.inCrawlId} and ci.position > ${from} and ci.position <= ${to}
           and not exists (select 1 from crawl_items o where o.crawl_id = ${crawls.notInCrawlId} and o.item_id = ci.item_id)
         order by ci.position
         limit ${limit - rows.length}`);
      rows.push(...window.rows);
      from = to;
    }
    await restore();
    return rows;
  });
}

type PlannerSetting = 'enable_hashjoin' | 'enable_mergejoin';

/**
 * Turns planner switches off for the rest of the transaction and returns how to put them back. The
 * restore matters when the caller's transaction goes on (a caller may page inside its own
 * transaction): releasing a savepoint keeps what SET LOCAL did.
 */
async function planForOrderedScans(tx: Executor, off: readonly PlannerSetting[]): Promise<() => Promise<void>> {
  const before = await tx.execute<{ name: string; setting: string }>(sql`select name, setting from pg_settings where name in (${sql.join(off.map((name) => sql`${name}`), sql`, `)})`);
  await tx.execute(sql`select ${sql.join(off.map((name) => sql`set_config(${name}, 'off', true)`), sql`, `)}`);
  return async () => {
    if (before.rows.length === 0) return;
    await tx.execute(sql`select ${sql.join(before.rows.map((row) => sql`set_config(${row.name}, ${row.setting}, true)`), sql`, `)}`);
  };
}
