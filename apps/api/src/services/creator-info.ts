import { creatorSettingsMismatches, type CheckedPostSettings } from '@pubcrawl/domain';
import { cachedCreatorInfo, storeCreatorInfo, toCachedCreatorInfo, type AccountRow, type CachedCreatorInfo, type ProviderCreatorInfo } from '@pubcrawl/db';
import { toError } from '@pubcrawl/errors';
import type { ApiContext } from '../context';

export interface CreatorInfoView {
  info: CachedCreatorInfo;
  fetchedAt: Date;
  source: 'cache' | 'upstream';
  /** True when a fresh read failed and this is the last answer we had, older than the TTL. */
  stale: boolean;
}

/**
 * The account's creator_info, from the cache while it is younger than CREATOR_INFO_TTL_S, otherwise
 * read again. A failed read falls back to the stale answer, and to null when there is none: the
 * worker checks again just before sending, and the provider itself refuses a mismatch, so an
 * unreachable provider must not block scheduling.
 */
export async function creatorInfoFor(context: ApiContext, account: AccountRow, options: { maxAgeS?: number } = {}): Promise<CreatorInfoView | null> {
  if (account.provider === 'tikapi') return null;
  const cached = cachedCreatorInfo(account);
  const maxAgeMs = (options.maxAgeS ?? context.env.CREATOR_INFO_TTL_S) * 1_000;
  if (cached !== null && Date.now() - cached.fetchedAt.getTime() < maxAgeMs) return { ...cached, source: 'cache', stale: false };
  try {
    const info = await readCreatorInfo(context, account);
    const fetchedAt = new Date();
    const reduced = toCachedCreatorInfo(info);
    await storeCreatorInfo(context.db.db, account.id, reduced, fetchedAt);
    return { info: reduced, fetchedAt, source: 'upstream', stale: false };
  } catch (caught) {
    context.logger.warn({ err: toError(caught), accountId: account.id }, 'could not read creator_info');
    return cached === null ? null : { ...cached, source: 'cache', stale: true };
  }
}

export interface CreatorPreflight {
  /** Field path (`settings.privacyLevel`) → why the creator's settings forbid it. */
  issues: Record<string, string>;
  warnings: string[];
}

/** Checks a post's settings against the account's creator_info, for create, edit and batch. */
export async function preflightCreatorSettings(
  context: ApiContext,
  account: AccountRow,
  post: { settings: CheckedPostSettings; mediaType: 'video' | 'photo' },
): Promise<CreatorPreflight> {
  const rules = providerRuleIssues(context, account, post);
  // A post the provider's rules refuse is refused without spending a creator_info read on it.
  if (Object.keys(rules).length > 0) return { issues: rules, warnings: [] };
  const view = await creatorInfoFor(context, account);
  if (view === null) {
    return account.provider !== 'tikapi'
      ? { issues: {}, warnings: ["the account's creator settings could not be read now; they are checked again just before publishing"] }
      : { issues: {}, warnings: [] };
  }
  const issues: Record<string, string> = {};
  for (const mismatch of creatorSettingsMismatches(post.settings, post.mediaType, view.info)) issues[mismatch.field] = mismatch.message;
  return { issues, warnings: view.stale ? [`checked against creator settings read at ${view.fetchedAt.toISOString()}; a fresh read failed`] : [] };
}

/** What the account's provider refuses whatever the creator's settings say, by field. */
function providerRuleIssues(context: ApiContext, account: AccountRow, post: { settings: CheckedPostSettings & { uploadMode?: 'pull' | 'file' | undefined }; mediaType: 'video' | 'photo' }): Record<string, string> {
  const issues: Record<string, string> = {};
  const { uploadMode, privacyLevel } = post.settings;
  if (uploadMode !== undefined && account.provider !== 'tiktok') issues['settings.uploadMode'] = 'applies to tiktok accounts only';
  if (uploadMode === 'file' && post.mediaType === 'photo') issues['settings.uploadMode'] = 'TikTok takes photos only by URL (pull)';
  if (account.provider === 'tiktok' && !context.env.TIKTOK_APP_AUDITED && privacyLevel !== 'SELF_ONLY') {
    issues['settings.privacyLevel'] = 'must be SELF_ONLY: TikTok publishes only private posts for an app that has not passed its audit (set TIKTOK_APP_AUDITED=true once it has)';
  }
  return issues;
}

/**
 * The provider's answer. The API's TikTok reads share the per-token bucket with the workers' reads
 * only through TikTok itself (20 a minute); a refusal here falls back to the cache like any other.
 */
async function readCreatorInfo(context: ApiContext, account: AccountRow): Promise<ProviderCreatorInfo> {
  if (account.provider === 'tiktok') return context.tiktok.tokens.withAccessToken(account.id, async (token) => (await context.tiktok.client.creatorInfo(token)).info);
  return (await context.posting.getCreatorInfo(account.externalId)).info;
}
