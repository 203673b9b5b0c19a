import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from '../client';
import { previousFollowersCrawl } from './follower-changes';

/** A TikTok user as a followers page lists it; `raw` is the upstream row, stored untouched. */
export interface CrawledUser {
  id: string;
  secUid: string | null;
  uniqueId: string | null;
  nickname: string | null;
  followerCount: number | null;
  raw: unknown;
}

/** A video as a hashtag page lists it; `raw` is the upstream object, stored untouched. */
export interface CrawledVideo {
  id: string;
  authorId: string | null;
  description: string | null;
  postedAt: Date | null;
  /** The counts the page listed; a snapshot is stored with the page when present. */
  stats?: VideoCounts | null;
  raw: unknown;
}

export interface VideoCounts {
  plays: number | null;
  likes: number | null;
  comments: number | null;
  shares: number | null;
}

/** A profile as `/public/check` describes it, for a `profile` crawl's one page. */
export interface CrawledProfile {
  username: string;
  userId: string | null;
  secUid: string | null;
  nickname: string | null;
  privateAccount: boolean;
  followers: number;
  following: number;
  likes: number;
  videos: number;
  raw: unknown;
}

/** `videos` comes from hashtag and user_posts crawls alike. */
export type CrawledRows = { kind: 'followers'; users: CrawledUser[] } | { kind: 'videos'; videos: CrawledVideo[] } | { kind: 'profile'; profile: CrawledProfile };

/** The checkpoint a page was fetched from; the page applies only if it is still the current one. */
export interface CrawlPageGuard {
  crawlId: string;
  generation: number;
  /** `crawl_checkpoints.pages` before this page. */
  pages: number;
  /** `crawl_checkpoints.segment_pages` of the job that fetched it. */
  segmentPages: number;
}

export interface CrawlPageInput {
  guard: CrawlPageGuard;
  rows: CrawledRows;
  /** The cursor and flag that follow this page upstream. */
  next: { cursor: string | null; hasMore: boolean };
  /** Insert at most this many new items (what is left of maxItems); null for no cap. */
  maxNewItems: number | null;
  /** Stored with the page when the page itself resolved the target (a hashtag name's id). */
  resolvedId?: string | null;
}

export interface CrawlCheckpointState {
  cursor: string | null;
  hasMore: boolean;
  pages: number;
  items: number;
}

export type CrawlPageResult =
  | { applied: true; inserted: number; checkpoint: CrawlCheckpointState }
  /** The checkpoint moved on (another worker applied this page), or the crawl is no longer running. */
  | { applied: false };

/**
 * Commits one crawled page: entities, crawl membership and the checkpoint that follows them, as ONE
 * statement and therefore one transaction, so the checkpoint can never run ahead of or behind the data.
 *
 * Why one statement rather than BEGIN + four statements + COMMIT: each round trip costs as much as
 * the work (a page is ~30 rows), and on a busy host the six round trips of the long form took longer
 * than the page itself. The steps, in data-dependency order:
 *
 * - `guard` locks the checkpoint and the crawl row, and only if the checkpoint is still the one the
 *   page was fetched from (`pages`, `segment_pages`, the generation, status running). Two workers
 *   racing on one crawl (a stalled job taken over while its first owner still runs, a reconciler that
 *   re-enqueued a segment) serialise here: the second waits for the lock, re-reads the row, finds
 *   `pages` moved on, and the whole statement applies nothing. Holding the crawl row also makes a
 *   concurrent cancel wait for the page instead of interleaving with it.
 * - `entities` upserts the users or videos (only when `guard` found the checkpoint).
 * - `fresh` picks the page's items this crawl has not stored yet, in upstream order, at most
 *   `maxNewItems`; `added` numbers them from the checkpoint's item count, so positions stay dense
 *   (an item listed twice upstream keeps its first position and leaves no hole).
 * - `checkpoint` moves the cursor and counts only the rows `added` really inserted; the final UPDATE
 *   mirrors the counts onto the crawl.
 * - followers pages only: `baseline` is the crawl this one will be compared with (picked at the first
 *   page, then read back from the crawl row), and `matches` counts how many of the rows `added`
 *   inserted are items of it; the final UPDATE adds them to `baseline_matches` (see
 *   followerChangeCounts, which answers gained and lost from it).
 */
export async function applyCrawlPage(db: Executor, input: CrawlPageInput): Promise<CrawlPageResult> {
  const { guard } = input;
  const { ordered, writes } = pageWrites(input.rows, guard.crawlId);
  const baseline = baselineMatchWrites(input.rows.kind === 'followers', guard.pages === 0);
  const result = await db.execute<{ cursor: string | null; has_more: boolean; pages: number; items: number; inserted: number }>(sql`
    with guard as (
      select cp.crawl_id, cp.items, c.id, c.resolved_id, c.target, c.baseline_crawl_id
        from crawl_checkpoints cp
        join crawls c on c.id = cp.crawl_id
       where cp.crawl_id = ${guard.crawlId}
         and cp.pages = ${guard.pages}
         and cp.segment_pages = ${guard.segmentPages}
         and c.generation = ${guard.generation}
         and c.status = 'running'
         for update of cp, c
    ),
    ${sql.join(
      writes.map((write, index) => sql`${sql.raw(`write_${index}`)} as (${write}),`),
      sql` `,
    )}
    fresh as (
      select t.item_id, t.ord
        from unnest(${sql.param(ordered)}::text[]) with ordinality as t(item_id, ord)
       where exists (select 1 from guard)
         and not exists (select 1 from crawl_items seen where seen.crawl_id = ${guard.crawlId} and seen.item_id = t.item_id)
       order by t.ord
       limit ${input.maxNewItems}::int
    ),
    added as (
      insert into crawl_items (crawl_id, item_id, position)
      select guard.crawl_id, fresh.item_id, guard.items + (row_number() over (order by fresh.ord))::int - 1
        from fresh cross join guard
      on conflict do nothing
      returning item_id
    ),
    ${baseline.ctes}
    checkpoint as (
      update crawl_checkpoints cp
         set cursor = ${input.next.cursor}, has_more = ${input.next.hasMore}, pages = cp.pages + 1,
             items = cp.items + (select count(*) from added)::int, updated_at = now()
        from guard
       where cp.crawl_id = guard.crawl_id
      returning cp.cursor, cp.has_more, cp.pages, cp.items, (select count(*) from added)::int as inserted
    )
    update crawls
       set pages = checkpoint.pages, items = checkpoint.items, resolved_id = coalesce(${input.resolvedId ?? null}, crawls.resolved_id), ${baseline.sets} updated_at = now()
      from checkpoint
     where crawls.id = ${guard.crawlId}
    returning checkpoint.cursor, checkpoint.has_more, checkpoint.pages, checkpoint.items, checkpoint.inserted`);
  const row = result.rows[0];
  if (row === undefined) return { applied: false };
  return { applied: true, inserted: row.inserted, checkpoint: { cursor: row.cursor, hasMore: row.has_more, pages: row.pages, items: row.items } };
}

/**
 * The CTEs and SET clauses that keep `baseline_matches` (nothing for videos and profiles). The first
 * page picks the baseline: the latest completed followers crawl of the target at that moment, the one
 * GET /changes will compare with unless another crawl of the target completes before this one does
 * (then the counters do not apply and the change count falls back to SQL). Counting costs one index
 * probe into the baseline's (crawl_id, item_id) per inserted row; items already in this crawl are not
 * inserted again, so they are not counted twice.
 */
function baselineMatchWrites(followers: boolean, firstPage: boolean): { ctes: SQL; sets: SQL } {
  if (!followers) return { ctes: sql``, sets: sql`` };
  const baseline = firstPage
    ? sql`select b.id from guard left join lateral (${previousFollowersCrawl('guard', { finishedBefore: false })}) b on true`
    : sql`select guard.baseline_crawl_id as id from guard`;
  return {
    ctes: sql`
    baseline as (${baseline}),
    matches as (
      select count(*)::int as n
        from added a
       where exists (select 1 from baseline join crawl_items b on b.crawl_id = baseline.id where b.item_id = a.item_id)
    ),`,
    sets: firstPage
      ? sql`baseline_crawl_id = (select id from baseline), baseline_matches = crawls.baseline_matches + (select n from matches),`
      : sql`baseline_matches = crawls.baseline_matches + (select n from matches),`,
  };
}

/** What a page writes besides its items, as data-modifying CTEs that run only when `guard` matched. */
function pageWrites(rows: CrawledRows, crawlId: string): { ordered: string[]; writes: SQL[] } {
  switch (rows.kind) {
    case 'followers': {
      const { ordered, entities } = upsertUsers(rows.users);
      return { ordered, writes: [entities] };
    }
    case 'videos': {
      const { ordered, entities, sorted } = upsertVideos(rows.videos);
      return { ordered, writes: [entities, ...videoSnapshotWrite(sorted, crawlId)] };
    }
    case 'profile':
      return { ordered: [], writes: profileWrites(rows.profile, crawlId) };
  }
}

/** One stats snapshot per video that listed its counts: how videos are followed over time. */
function videoSnapshotWrite(videos: readonly CrawledVideo[], crawlId: string): SQL[] {
  const counted = videos.filter((video) => video.stats !== undefined && video.stats !== null);
  if (counted.length === 0) return [];
  const column = (pick: (counts: VideoCounts) => number | null) => sql.param(counted.map((video) => (video.stats ? pick(video.stats) : null)));
  return [
    sql`
    insert into video_snapshots (video_id, plays, likes, comments, shares, crawl_id, taken_at)
    select v.id, v.plays, v.likes, v.comments, v.shares, ${crawlId}, now() from unnest(
      ${sql.param(counted.map((video) => video.id))}::text[],
      ${column((counts) => counts.plays)}::bigint[],
      ${column((counts) => counts.likes)}::bigint[],
      ${column((counts) => counts.comments)}::bigint[],
      ${column((counts) => counts.shares)}::bigint[]) as v(id, plays, likes, comments, shares)
     where exists (select 1 from guard)
    returning 1`,
  ];
}

function profileWrites(profile: CrawledProfile, crawlId: string): SQL[] {
  return [
    sql`
    insert into tiktok_profiles (username, user_id, sec_uid, nickname, private_account, raw, fetched_at)
    select ${profile.username}, ${profile.userId}, ${profile.secUid}, ${profile.nickname}, ${profile.privateAccount}, ${JSON.stringify(profile.raw)}::jsonb, now()
     where exists (select 1 from guard)
    on conflict (username) do update
       set user_id = excluded.user_id, sec_uid = excluded.sec_uid, nickname = excluded.nickname,
           private_account = excluded.private_account, raw = excluded.raw, fetched_at = excluded.fetched_at, updated_at = now()
    returning 1`,
    sql`
    insert into profile_snapshots (username, followers, following, likes, videos, crawl_id, taken_at)
    select ${profile.username}, ${profile.followers}, ${profile.following}, ${profile.likes}, ${profile.videos}, ${crawlId}, now()
     where exists (select 1 from guard)
    returning 1`,
  ];
}

/**
 * Rows of one statement must have distinct ids (ON CONFLICT DO UPDATE cannot touch a row twice),
 * and are sorted by id so two crawls upserting overlapping users lock them in the same order and
 * cannot deadlock. Returns the page's item ids in upstream order, first occurrence kept.
 */
function distinctInOrder<Row extends { id: string }>(rows: readonly Row[]): { ordered: string[]; sorted: Row[] } {
  const byId = new Map<string, Row>();
  const ordered: string[] = [];
  for (const row of rows) {
    if (!byId.has(row.id)) ordered.push(row.id);
    // The last copy wins, as it would upstream if the list changed while we read it.
    byId.set(row.id, row);
  }
  const sorted = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { ordered, sorted };
}

/**
 * The users of a followers page, as one multi-row upsert (unnest turns parallel arrays into rows).
 * The WHERE skips rewriting a row whose raw object did not change, which is most of them when the
 * same audience is crawled again.
 */
function upsertUsers(users: readonly CrawledUser[]): { ordered: string[]; entities: SQL } {
  const { ordered, sorted } = distinctInOrder(users);
  const entities = sql`
    insert into tiktok_users (id, sec_uid, unique_id, nickname, follower_count, raw)
    select u.* from unnest(
      ${sql.param(sorted.map((user) => user.id))}::text[],
      ${sql.param(sorted.map((user) => user.secUid))}::text[],
      ${sql.param(sorted.map((user) => user.uniqueId))}::text[],
      ${sql.param(sorted.map((user) => user.nickname))}::text[],
      ${sql.param(sorted.map((user) => user.followerCount))}::int[],
      ${sql.param(sorted.map((user) => JSON.stringify(user.raw)))}::jsonb[]) as u
     where exists (select 1 from guard)
    on conflict (id) do update
       set sec_uid = excluded.sec_uid, unique_id = excluded.unique_id, nickname = excluded.nickname,
           follower_count = excluded.follower_count, raw = excluded.raw, updated_at = now()
     where tiktok_users.raw is distinct from excluded.raw
    returning 1`;
  return { ordered, entities };
}

/** The videos of a hashtag or user_posts page, as one multi-row upsert. */
function upsertVideos(videos: readonly CrawledVideo[]): { ordered: string[]; entities: SQL; sorted: CrawledVideo[] } {
  const { ordered, sorted } = distinctInOrder(videos);
  const entities = sql`
    insert into tiktok_videos (id, author_id, description, posted_at, raw)
    select v.* from unnest(
      ${sql.param(sorted.map((video) => video.id))}::text[],
      ${sql.param(sorted.map((video) => video.authorId))}::text[],
      ${sql.param(sorted.map((video) => video.description))}::text[],
      ${sql.param(sorted.map((video) => video.postedAt?.toISOString() ?? null))}::timestamptz[],
      ${sql.param(sorted.map((video) => JSON.stringify(video.raw)))}::jsonb[]) as v
     where exists (select 1 from guard)
    on conflict (id) do update
       set author_id = excluded.author_id, description = excluded.description, posted_at = excluded.posted_at,
           raw = excluded.raw, updated_at = now()
     where tiktok_videos.raw is distinct from excluded.raw
    returning 1`;
  return { ordered, entities, sorted };
}
