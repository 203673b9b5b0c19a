import { accountPostTimes, type Executor } from '@pubcrawl/db';

/**
 * Whether an account's publishing limits can meet a requested time, and if not, when the post
 * should actually go out. The worker enforces the limits; this only predicts them, so that a
 * caller scheduling the 16th post of a day, or ten in one minute, hears about it when it asks
 * rather than finding posts waiting later.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export interface AccountLimits {
  /** ACCOUNT_PUBLISH_PER_MINUTE: sends per sliding minute. */
  perMinute: number;
  /** ACCOUNT_DAILY_POSTS: posts per rolling 24 h. */
  perDay: number;
}

export interface SendEstimate {
  /** When the post should go out (ms), never before the requested time. */
  at: number;
  /** Which limit pushed it later, if any. */
  heldBy: 'minute' | 'day' | null;
  /** How many of the account's posts already fill the window that held it. */
  inWindow: number;
}

/** A post ahead of the new one: sent (its time is fixed) or pending (it may itself be delayed). */
export interface PlannedTime {
  at: number;
  sent: boolean;
}

/** Insert keeping `sorted` ascending. */
function insertSorted(sorted: number[], value: number): void {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] ?? 0) <= value) low = middle + 1;
    else high = middle;
  }
  sorted.splice(low, 0, value);
}

/**
 * The earliest instant at or after `candidate` with room in both windows, given the effective send
 * times before it (ascending). With n earlier sends and a limit L, a window ending at t holds fewer
 * than L of them once the (n-L)th has left it, so the answer is that send plus the window.
 */
function earliestWithRoom(sent: readonly number[], candidate: number, limits: AccountLimits): Pick<SendEstimate, 'at' | 'heldBy'> {
  const minuteBound = sent.length >= limits.perMinute ? (sent[sent.length - limits.perMinute] ?? 0) + MINUTE_MS : -Infinity;
  const dayBound = sent.length >= limits.perDay ? (sent[sent.length - limits.perDay] ?? 0) + DAY_MS : -Infinity;
  // Waiting for one window never refills the other, so the later bound satisfies both.
  if (dayBound > candidate && dayBound >= minuteBound) return { at: dayBound, heldBy: 'day' };
  if (minuteBound > candidate) return { at: minuteBound, heldBy: 'minute' };
  return { at: candidate, heldBy: null };
}

/**
 * When a post requested for `requested` should go out, after the account's posts ahead of it (those
 * due at or before it, in time order; a pending one may itself be pushed later by the limits, a
 * sent one is where it is). Posts due after it are behind it, and ignored.
 */
export function estimateSendTime(ahead: readonly PlannedTime[], requested: number, limits: AccountLimits): SendEstimate {
  const ordered = ahead.filter((entry) => entry.at <= requested).sort((a, b) => a.at - b.at);
  const effective: number[] = [];
  for (const entry of ordered) {
    insertSorted(effective, entry.sent ? entry.at : earliestWithRoom(effective, entry.at, limits).at);
  }
  const estimate = earliestWithRoom(effective, requested, limits);
  const width = estimate.heldBy === 'day' ? DAY_MS : MINUTE_MS;
  const inWindow = estimate.heldBy === null ? 0 : effective.filter((time) => time > requested - width && time <= requested).length;
  return { ...estimate, inWindow };
}

/** The caller-facing sentence for an estimate that moved the post, or null when it did not. */
export function limitWarning(estimate: SendEstimate, requested: number, limits: AccountLimits): string | null {
  if (estimate.heldBy === null || estimate.at <= requested) return null;
  const when = new Date(estimate.at).toISOString();
  if (estimate.heldBy === 'minute') {
    return `the account publishes at most ${limits.perMinute} posts a minute (ACCOUNT_PUBLISH_PER_MINUTE) and ${estimate.inWindow} are already due in the minute up to the requested time; this post should go out at about ${when}`;
  }
  return `the account publishes at most ${limits.perDay} posts in 24 h (ACCOUNT_DAILY_POSTS) and ${estimate.inWindow} are already due in the 24 h up to the requested time; this post should go out at about ${when}`;
}

/** A post about to be created or moved: its account and requested time (ms). */
export interface RequestedSend {
  accountId: string;
  at: number;
}

/**
 * Limit warnings for posts about to be created, in order: each one counts the account's stored posts
 * and the earlier entries of `requests` (a batch's earlier items). `excludePostId`: an edited post
 * does not count against itself. One query whatever the number of accounts.
 */
export async function limitWarnings(
  executor: Executor,
  requests: readonly RequestedSend[],
  limits: AccountLimits,
  options: { excludePostId?: string } = {},
): Promise<Array<string | null>> {
  if (requests.length === 0) return [];
  const times = requests.map((request) => request.at);
  const from = new Date(Math.min(...times) - DAY_MS);
  const to = new Date(Math.max(...times));
  const stored = await accountPostTimes(executor, [...new Set(requests.map((request) => request.accountId))], { from, to }, options);
  const byAccount = new Map<string, PlannedTime[]>();
  for (const row of stored) {
    const list = byAccount.get(row.accountId) ?? [];
    list.push({ at: row.at.getTime(), sent: row.sent });
    byAccount.set(row.accountId, list);
  }
  return requests.map((request) => {
    const ahead = byAccount.get(request.accountId) ?? [];
    const warning = limitWarning(estimateSendTime(ahead, request.at, limits), request.at, limits);
    // Later items of the batch queue behind this one, at its requested time.
    ahead.push({ at: request.at, sent: false });
    byAccount.set(request.accountId, ahead);
    return warning;
  });
}
