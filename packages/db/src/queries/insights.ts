import { and, asc, eq, gt, gte, lte, sql } from 'drizzle-orm';
import type { Database, Executor } from '../client';
import { profileSnapshots, tiktokProfiles, tiktokVideos, videoSnapshots } from '../schema';
import type { CrawledProfile, VideoCounts } from './crawl-pages';

export type ProfileRow = typeof tiktokProfiles.$inferSelect;
export type ProfileSnapshotRow = typeof profileSnapshots.$inferSelect;
export type VideoRow = typeof tiktokVideos.$inferSelect;
export type VideoSnapshotRow = typeof videoSnapshots.$inferSelect;

/** Handles are case-insensitive on TikTok; the cache is keyed by the lowercased one without '@'. */
export function profileKey(username: string): string {
  return username.replace(/^@/, '').toLowerCase();
}

export async function findProfile(executor: Executor, username: string): Promise<ProfileRow | null> {
  const [row] = await executor.select().from(tiktokProfiles).where(eq(tiktokProfiles.username, profileKey(username)));
  return row ?? null;
}

export async function latestProfileSnapshot(executor: Executor, username: string): Promise<ProfileSnapshotRow | null> {
  const [row] = await executor
    .select()
    .from(profileSnapshots)
    .where(eq(profileSnapshots.username, profileKey(username)))
    .orderBy(sql`${profileSnapshots.takenAt} desc`, sql`${profileSnapshots.id} desc`)
    .limit(1);
  return row ?? null;
}

/** A look-up's answer: the cached profile and a stats snapshot, in one transaction. */
export async function storeProfileLookup(db: Database, profile: CrawledProfile, fetchedAt: Date): Promise<ProfileRow> {
  return db.transaction(async (tx) => {
    const values = {
      username: profileKey(profile.username),
      userId: profile.userId,
      secUid: profile.secUid,
      nickname: profile.nickname,
      privateAccount: profile.privateAccount,
      raw: profile.raw,
      fetchedAt,
    };
    const [row] = await tx
      .insert(tiktokProfiles)
      .values(values)
      .onConflictDoUpdate({ target: tiktokProfiles.username, set: { ...values, updatedAt: fetchedAt } })
      .returning();
    if (row === undefined) throw new Error('profile upsert returned no row');
    await tx.insert(profileSnapshots).values({
      username: values.username,
      followers: profile.followers,
      following: profile.following,
      likes: profile.likes,
      videos: profile.videos,
      takenAt: fetchedAt,
    });
    return row;
  });
}

export interface HistoryRange {
  from?: Date | undefined;
  to?: Date | undefined;
  /** Keyset: snapshots after this id, for export batches. */
  afterId?: number | undefined;
  limit: number;
}

export async function profileHistory(executor: Executor, username: string, range: HistoryRange): Promise<ProfileSnapshotRow[]> {
  return executor
    .select()
    .from(profileSnapshots)
    .where(
      and(
        eq(profileSnapshots.username, profileKey(username)),
        range.from === undefined ? undefined : gte(profileSnapshots.takenAt, range.from),
        range.to === undefined ? undefined : lte(profileSnapshots.takenAt, range.to),
        range.afterId === undefined ? undefined : gt(profileSnapshots.id, range.afterId),
      ),
    )
    .orderBy(asc(profileSnapshots.id))
    .limit(range.limit);
}

export async function findVideo(executor: Executor, videoId: string): Promise<VideoRow | null> {
  const [row] = await executor.select().from(tiktokVideos).where(eq(tiktokVideos.id, videoId));
  return row ?? null;
}

export interface LookedUpVideo {
  id: string;
  authorId: string | null;
  description: string | null;
  postedAt: Date | null;
  counts: VideoCounts;
  raw: unknown;
}

export async function storeVideoLookup(db: Database, video: LookedUpVideo, fetchedAt: Date): Promise<VideoRow> {
  return db.transaction(async (tx) => {
    const values = { id: video.id, authorId: video.authorId, description: video.description, postedAt: video.postedAt, raw: video.raw, fetchedAt };
    const [row] = await tx
      .insert(tiktokVideos)
      .values(values)
      .onConflictDoUpdate({ target: tiktokVideos.id, set: { ...values, updatedAt: fetchedAt } })
      .returning();
    if (row === undefined) throw new Error('video upsert returned no row');
    await tx.insert(videoSnapshots).values({ videoId: video.id, ...video.counts, takenAt: fetchedAt });
    return row;
  });
}

export async function latestVideoSnapshot(executor: Executor, videoId: string): Promise<VideoSnapshotRow | null> {
  const [row] = await executor
    .select()
    .from(videoSnapshots)
    .where(eq(videoSnapshots.videoId, videoId))
    .orderBy(sql`${videoSnapshots.takenAt} desc`, sql`${videoSnapshots.id} desc`)
    .limit(1);
  return row ?? null;
}

export async function videoHistory(executor: Executor, videoId: string, range: HistoryRange): Promise<VideoSnapshotRow[]> {
  return executor
    .select()
    .from(videoSnapshots)
    .where(
      and(
        eq(videoSnapshots.videoId, videoId),
        range.from === undefined ? undefined : gte(videoSnapshots.takenAt, range.from),
        range.to === undefined ? undefined : lte(videoSnapshots.takenAt, range.to),
        range.afterId === undefined ? undefined : gt(videoSnapshots.id, range.afterId),
      ),
    )
    .orderBy(asc(videoSnapshots.id))
    .limit(range.limit);
}

/** `/public/check`'s answer as the TikAPI client types it; structural, so this package needs no client. */
export interface CheckedProfile {
  user: { id: string; nickname?: unknown };
  secUid: string;
  privateAccount: boolean;
  stats: { followerCount: number; followingCount: number; heartCount: number; videoCount: number };
  raw: unknown;
}

/** What a look-up and a `profile` crawl both store from one `/public/check` answer. */
export function crawledProfileFrom(username: string, profile: CheckedProfile): CrawledProfile {
  return {
    username: profileKey(username),
    userId: profile.user.id,
    secUid: profile.secUid,
    nickname: typeof profile.user.nickname === 'string' ? profile.user.nickname : null,
    privateAccount: profile.privateAccount,
    followers: profile.stats.followerCount,
    following: profile.stats.followingCount,
    likes: profile.stats.heartCount,
    videos: profile.stats.videoCount,
    raw: profile.raw,
  };
}
