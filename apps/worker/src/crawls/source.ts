import { findAccount, recordCrawlResolvedId, type CrawlRow } from '@pubcrawl/db';
import { type CheckUserResult } from '@pubcrawl/tiktok';
import { z } from 'zod';
import type { WorkerContext } from '../context';
import type { CrawlSource } from './fetch-page';
import { toError } from '@pubcrawl/errors';

/**
 * What a crawl's stored target and account turn into before its first request: the upstream source,
 * or the reason it cannot run. Only a username needs a request (/public/check), and only once: the
 * secUid is stored as `resolvedId` and every later segment starts from it.
 */
export type SourceResolution =
  | { kind: 'source'; source: CrawlSource }
  | { kind: 'reauth_required'; accountId: string; reason: string }
  | { kind: 'failed'; code: string; message: string }
  | { kind: 'shutdown' };

/** Sends one upstream request under the crawl's quota; `null` when shutdown came first. */
export type QuotaRequest = <T>(send: () => Promise<T>) => Promise<T | null>;

const targetSchema = z.union([
  z.object({ username: z.string() }),
  z.object({ secUid: z.string() }),
  z.object({ name: z.string() }),
  z.object({ id: z.string() }),
]);

// Loose: an account's credentials may carry more than the TikAPI key; only the key matters here.
const tikapiCredentialsSchema = z.looseObject({ accountKey: z.string().min(1) });

export async function resolveCrawlSource(context: WorkerContext, crawl: CrawlRow, request: QuotaRequest): Promise<SourceResolution> {
  const target = targetSchema.safeParse(crawl.target);
  if (!target.success) return { kind: 'failed', code: 'invalid_target', message: `crawl target ${JSON.stringify(crawl.target)} is not one of {username} {secUid} {name} {id}` };

  if (crawl.kind === 'hashtag') {
    if (crawl.resolvedId !== null) return { kind: 'source', source: { kind: 'hashtag', id: crawl.resolvedId, name: null } };
    if ('name' in target.data) return { kind: 'source', source: { kind: 'hashtag', id: null, name: target.data.name } };
    if ('id' in target.data) return { kind: 'source', source: { kind: 'hashtag', id: target.data.id, name: null } };
    return { kind: 'failed', code: 'invalid_target', message: 'a hashtag crawl needs {name} or {id}' };
  }

  if (crawl.kind === 'profile') {
    if (!('username' in target.data)) return { kind: 'failed', code: 'invalid_target', message: 'a profile crawl needs {username}' };
    return { kind: 'source', source: { kind: 'profile', username: target.data.username.replace(/^@/, '') } };
  }

  let accountKey: string | null = null;
  if (crawl.accountId !== null) {
    const account = await loadAccountKey(context, crawl.accountId);
    if (account.kind !== 'key') return account;
    accountKey = account.accountKey;
  }

  let secUid = crawl.resolvedId;
  if (secUid === null && 'secUid' in target.data) secUid = target.data.secUid;
  if (secUid === null) {
    if (!('username' in target.data)) return { kind: 'failed', code: 'invalid_target', message: `a ${crawl.kind} crawl needs {username} or {secUid}` };
    const username = target.data.username.replace(/^@/, '');
    const profile: CheckUserResult | null = await request(() => context.tikapi.checkUser(username));
    if (profile === null) return { kind: 'shutdown' };
    secUid = profile.secUid;
    await recordCrawlResolvedId(context.db.db, crawl.id, crawl.generation, secUid);
  }
  if (crawl.kind === 'user_posts') return { kind: 'source', source: { kind: 'user_posts', secUid } };
  return { kind: 'source', source: { kind: 'followers', secUid, accountKey } };
}

async function loadAccountKey(
  context: WorkerContext,
  accountId: string,
): Promise<{ kind: 'key'; accountKey: string } | Extract<SourceResolution, { kind: 'reauth_required' | 'failed' }>> {
  const account = await findAccount(context.db.db, accountId);
  if (account === null || account.status === 'deleted') return { kind: 'failed', code: 'account_missing', message: `account ${accountId} no longer exists (deleted)` };
  // Already known to be expired: park without spending a request on a certain 428.
  if (account.status === 'reauth_required') {
    return { kind: 'reauth_required', accountId, reason: account.reauthReason ?? 'the account must be re-authorised' };
  }
  if (account.provider !== 'tikapi' || account.credentialsEncrypted === null) {
    return { kind: 'failed', code: 'account_credentials_missing', message: `account ${accountId} has no TikAPI account key` };
  }
  let decrypted: unknown;
  try {
    decrypted = context.cipher.decrypt(account.credentialsEncrypted);
  } catch (e) {
    const error = toError(e);
    return { kind: 'failed', code: 'account_credentials_unreadable', message: `account ${accountId} credentials cannot be decrypted: ${error.message}` };
  }
  const credentials = tikapiCredentialsSchema.safeParse(decrypted);
  if (!credentials.success) return { kind: 'failed', code: 'account_credentials_missing', message: `account ${accountId} has no TikAPI account key` };
  return { kind: 'key', accountKey: credentials.data.accountKey };
}
