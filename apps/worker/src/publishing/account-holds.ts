import { accountSubmissionsSince, activeProviderPause, cachedCreatorInfo, storeCreatorInfo, toCachedCreatorInfo, type AccountRow, type CachedCreatorInfo, type PostRow, type PostWait, type ProviderCreatorInfo } from '@pubcrawl/db';
import { creatorSettingsMismatches, type CheckedPostSettings, type CreatorSettingsMismatch } from '@pubcrawl/domain';
import { toError } from '@pubcrawl/errors';
import { QuotaWait, RateLimited, SessionExpired, waitForQuota } from '@pubcrawl/tiktok';
import { acquireTikTokQuota } from './tiktok-quota';
import type { WorkerContext } from '../context';
import { publishRetryAfterMs } from './outcomes';

export const DAY_MS = 24 * 60 * 60 * 1_000;

/**
 * When the account's rolling 24 h window has room again, given its submissions since a day ago
 * (oldest first): the day after the submission whose roll-off brings it under the cap.
 */
export function dailyCapOpensAt(submissions: readonly Date[], cap: number): Date | null {
  if (submissions.length < cap) return null;
  const rollsOff = submissions[submissions.length - cap];
  return rollsOff === undefined ? null : new Date(rollsOff.getTime() + DAY_MS);
}

export interface AccountCheck {
  hold: PostWait | null;
  /** Posts the account sent in the rolling day, as counted before the claim. */
  sentToday: number;
}

/**
 * Why this account may not send anything now, decided before the post is claimed, so a held post
 * stays `scheduled`, spends no attempt, and says why (`waiting`).
 */
export async function accountHold(context: WorkerContext, account: AccountRow, post: { draft: boolean }, now: number = Date.now()): Promise<AccountCheck> {
  // Only TikTok's app-wide cap pauses a provider, so posting accounts skip the read (a publish
  // burst's hot path).
  const paused = account.provider === 'tiktok' ? await activeProviderPause(context.db.db, account.provider, new Date(now)) : null;
  if (paused !== null) {
    return { hold: { reason: 'provider_paused', until: paused.until, message: `every ${account.provider} account waits until ${paused.until.toISOString()}: ${paused.message}` }, sentToday: 0 };
  }
  if (post.draft && account.pendingShareUntil !== null && account.pendingShareUntil.getTime() > now) {
    return { hold: pendingShareHold(account.pendingShareUntil), sentToday: 0 };
  }
  if (account.status === 'unlinked') {
    const message = 'the posting API no longer lists this account; link it again (POST /v1/accounts/link) or sync once it is back';
    return { hold: { reason: 'account_unlinked', until: null, message }, sentToday: 0 };
  }
  if (account.paused) {
    return { hold: { reason: 'account_paused', until: null, message: 'the account is paused; PATCH /v1/accounts/:id {"paused": false} sends its posts' }, sentToday: 0 };
  }
  if (account.dailyCapUntil !== null && account.dailyCapUntil.getTime() > now) {
    const message = `TikTok refused a post for this account as too many (spam_risk_too_many_posts); nothing is sent before ${account.dailyCapUntil.toISOString()}`;
    return { hold: { reason: 'daily_cap', until: account.dailyCapUntil, message }, sentToday: 0 };
  }
  const cap = context.env.ACCOUNT_DAILY_POSTS;
  const submissions = await accountSubmissionsSince(context.db.db, account.id, new Date(now - DAY_MS), cap);
  const opensAt = dailyCapOpensAt(submissions, cap);
  if (opensAt !== null && opensAt.getTime() > now) return { hold: dailyCapHold(cap, opensAt), sentToday: submissions.length };
  return { hold: null, sentToday: submissions.length };
}

/**
 * Whether the claim must recount under the account's lock. Claims follow the per-account publish
 * quota, so at most ACCOUNT_PUBLISH_PER_MINUTE of them can be in flight, uncounted, for one account:
 * an account further than that below its cap cannot be pushed over it, and takes the one-statement
 * claim (the locked one costs a transaction per post, a fifth of a burst's throughput).
 */
export function claimNeedsCapLock(context: WorkerContext, sentToday: number): boolean {
  return sentToday + context.env.ACCOUNT_PUBLISH_PER_MINUTE >= context.env.ACCOUNT_DAILY_POSTS;
}

export function pendingShareHold(until: Date): PostWait {
  return {
    reason: 'pending_share',
    until,
    message: `TikTok holds too many of this account's inbox uploads unopened (spam_risk_too_many_pending_share); drafts wait until ${until.toISOString()} or until the creator opens them in the app`,
  };
}

export function dailyCapHold(cap: number, opensAt: Date): PostWait {
  return { reason: 'daily_cap', until: opensAt, message: `${cap} posts were sent in the last 24 h (ACCOUNT_DAILY_POSTS); the next one can go at ${opensAt.toISOString()}` };
}

interface StoredSettings {
  settings?: CheckedPostSettings;
}

/**
 * The creator's settings as of now (a fresh read when the cache is older than CREATOR_INFO_TTL_S),
 * compared with the post's. A failed read falls back to the last answer, and to no check at all
 * when there is none: the provider itself refuses a mismatch, so this check only saves a call.
 */
export async function creatorSettingsCheck(context: WorkerContext, account: AccountRow, post: PostRow): Promise<CreatorSettingsMismatch[]> {
  const settings = (post.request as StoredSettings | null)?.settings;
  if (settings === undefined || (post.mediaType !== 'video' && post.mediaType !== 'photo')) return [];
  const info = await currentCreatorInfo(context, account);
  return info === null ? [] : creatorSettingsMismatches(settings, post.mediaType, info);
}

async function currentCreatorInfo(context: WorkerContext, account: AccountRow): Promise<CachedCreatorInfo | null> {
  const cached = cachedCreatorInfo(account);
  if (cached !== null && Date.now() - cached.fetchedAt.getTime() < context.env.CREATOR_INFO_TTL_S * 1_000) return cached.info;
  try {
    const info = await readCreatorInfo(context, account);
    const reduced = toCachedCreatorInfo(info);
    await storeCreatorInfo(context.db.db, account.id, reduced, new Date());
    return reduced;
  } catch (caught) {
    // A session TikTok will not refresh is the account's to fix: the caller parks it.
    if (caught instanceof SessionExpired || caught instanceof QuotaWait) throw caught;
    if (caught instanceof RateLimited) {
      // The whole fleet must hold off as the provider said, or the next post's read is one more 429.
      // Whole seconds, as for a publish: Retry-After is the coarser promise and must be honoured too.
      const scope = caught.scope ?? context.posting.quotaScope;
      const waitMs = publishRetryAfterMs(caught);
      await context.limiter.block(scope, waitMs);
      throw new QuotaWait(Date.now() + waitMs, scope, waitMs);
    }
    context.logger.warn({ err: toError(caught), accountId: account.id }, 'could not re-read creator_info before publishing; using the last answer');
    return cached?.info ?? null;
  }
}

/** One creator_info read through the fleet-wide limiter, from the account's own provider. */
async function readCreatorInfo(context: WorkerContext, account: AccountRow): Promise<ProviderCreatorInfo> {
  if (account.provider === 'tiktok') {
    return context.tiktokTokens.withAccessToken(account.id, async (token) => {
      await acquireTikTokQuota(context, 'creatorInfo', token);
      return (await context.tiktok.creatorInfo(token)).info;
    });
  }
  await waitForQuota(await context.limiter.acquire(context.posting.scopesFor('creatorInfo', account.externalId)));
  return (await context.posting.getCreatorInfo(account.externalId, { signal: AbortSignal.timeout(context.env.UPSTREAM_TIMEOUT_MS) })).info;
}
