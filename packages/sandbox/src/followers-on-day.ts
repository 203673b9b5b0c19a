import { followerCountOnDay as countOnDay, isPresentOnDay, slotChanges, slotCountOnDay } from './churn';
import { followerAt, profileForSubject, profileForUsername, statsOnDay, type ListedUser, type Profile, type UserStats } from './data';
import { decodeSecUid } from './ids';

/**
 * What tests outside the sandbox use to know, without crawling, exactly which followers the
 * sandbox lists on a day and who came and went between two days. Pure: the same answer as the
 * HTTP endpoints give on that day, in the same order.
 */

/** A listed follower, exactly as a `userList` entry of `/public/followers`. */
export type SandboxFollower = ListedUser;

export interface FollowerChanges {
  /** Listed on `toDay`, not on `fromDay`, in list order. */
  gained: SandboxFollower[];
  /** Listed on `fromDay`, not on `toDay`, in list order. */
  lost: SandboxFollower[];
}

/** `user_N`, `private_N`, a fan handle, or any secUid the sandbox minted (posting accounts included). */
function ownerOf(usernameOrSecUid: string): Profile {
  const byName = profileForUsername(usernameOrSecUid.replace(/^@/, ''));
  if (byName !== null) return byName;
  const subject = decodeSecUid(usernameOrSecUid);
  if (subject !== null) return profileForSubject(subject);
  throw new Error(`the sandbox has no user ${usernameOrSecUid}`);
}

function assertDay(day: number): void {
  if (!Number.isSafeInteger(day) || day < 0) throw new Error(`a sandbox day is a non-negative integer, got ${day}`);
}

/** Every follower listed on `day`, in list order. O(followers): fine for tests, heavy past a few million. */
export function followersOnDay(usernameOrSecUid: string, day: number): SandboxFollower[] {
  assertDay(day);
  const owner = ownerOf(usernameOrSecUid);
  if (owner.privateAccount) return [];
  const base = owner.stats.followerCount;
  const followers: SandboxFollower[] = [];
  const end = slotCountOnDay(base, day);
  for (let slot = 0; slot < end; slot++) if (isPresentOnDay(base, slot, day)) followers.push(followerAt(owner, slot));
  return followers;
}

/** Who was gained and lost from `fromDay` to `toDay` (either order). Touches only the changed slots. */
export function followerChanges(usernameOrSecUid: string, fromDay: number, toDay: number): FollowerChanges {
  assertDay(fromDay);
  assertDay(toDay);
  const owner = ownerOf(usernameOrSecUid);
  if (owner.privateAccount) return { gained: [], lost: [] };
  const { gained, lost } = slotChanges(owner.stats.followerCount, fromDay, toDay);
  return { gained: gained.map((slot) => followerAt(owner, slot)), lost: lost.map((slot) => followerAt(owner, slot)) };
}

/** The `followerCount` `/public/check` reports on `day` (and `total` on every followers page). */
export function followerCountOnDay(usernameOrSecUid: string, day: number): number {
  assertDay(day);
  return countOnDay(ownerOf(usernameOrSecUid).stats.followerCount, day);
}

/**
 * The stats `/public/check` reports on `day`, before the sandbox's own publishes: each public
 * publish to the account adds one to `videoCount` on top of this.
 */
export function profileStatsOnDay(usernameOrSecUid: string, day: number): UserStats {
  assertDay(day);
  return statsOnDay(ownerOf(usernameOrSecUid), day);
}
