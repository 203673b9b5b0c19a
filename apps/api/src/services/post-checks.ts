import { findAccount, type AccountRow } from '@pubcrawl/db';
import type { MediaType, PostSettings } from '@pubcrawl/contracts';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { preflightCreatorSettings, type CreatorPreflight } from './creator-info';
import type { AccountLimits } from './post-limits';

/**
 * The checks a post passes before it is written, shared by create, edit and batch, so a batch item
 * and a single create are refused for exactly the same reasons, in the same words.
 */

/** Why this account cannot take a new post, or null. */
export function accountProblem(account: AccountRow | null | undefined): string | null {
  if (account === null || account === undefined) return 'no account with this id';
  if (account.provider === 'tikapi') return 'is a tikapi account; only posting and tiktok accounts can publish';
  if (account.status !== 'active') return `is ${account.status}: ${account.provider === 'tiktok' ? 'connect it again first (POST /v1/accounts/connect)' : 're-authorize it first'}`;
  return null;
}

/** Why an edit cannot keep this account, or null: a parked account's posts may still be edited. */
export function editAccountProblem(account: AccountRow | null): string | null {
  if (account === null) return 'the account no longer exists';
  if (account.provider === 'tikapi') return 'is a tikapi account; only posting and tiktok accounts can publish';
  return null;
}

export function accountLimits(context: ApiContext): AccountLimits {
  return { perMinute: context.env.ACCOUNT_PUBLISH_PER_MINUTE, perDay: context.env.ACCOUNT_DAILY_POSTS };
}

/** The oldest creation time a post may have to make a new one a duplicate; null when the guard is off. */
export function duplicateSince(context: ApiContext, allowDuplicate: boolean | undefined, now = Date.now()): Date | null {
  const hours = context.env.DUPLICATE_WINDOW_HOURS;
  if (allowDuplicate === true || hours <= 0) return null;
  return new Date(now - hours * 3_600_000);
}

export const duplicateMessage = (earlier: string) =>
  `The same content, media and photo title were posted to this account within DUPLICATE_WINDOW_HOURS (post ${earlier}); send allowDuplicate: true to post it again`;

export function duplicateContent(earlier: string): ApiError {
  return new ApiError(409, 'duplicate_content', duplicateMessage(earlier), { content: `duplicate of post ${earlier}`, duplicateOf: earlier });
}

/** Field path → first message, with `prefix` (`posts.3.`) in front; an issue at the root names the prefix itself. */
export function issueFields(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, prefix = ''): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of issues) {
    const path = issue.path.map(String).join('.');
    const name = path === '' ? prefix.replace(/\.$/, '') || 'body' : `${prefix}${path}`;
    fields[name] ??= issue.message;
  }
  return fields;
}

export function withPrefix(fields: Record<string, string>, prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([name, message]) => [`${prefix}${name}`, message]));
}

export interface CheckedSettings {
  settings: PostSettings;
  mediaType: MediaType;
}

/**
 * creator_info for many posts of a few accounts (a batch): each account's creator_info is read at
 * most once, however many items name it. The preflight reads the cached copy on the account row it
 * is given, so after the first item the row is re-read (now holding the fresh copy), and the
 * provider call itself is shared per account, so an unreachable provider costs one timeout per
 * account rather than one per item.
 */
export function batchPreflight(context: ApiContext): (account: AccountRow, post: CheckedSettings) => Promise<CreatorPreflight> {
  const calls = new Map<string, ReturnType<ApiContext['posting']['getCreatorInfo']>>();
  const getCreatorInfo: ApiContext['posting']['getCreatorInfo'] = (externalId, options) => {
    let call = calls.get(externalId);
    if (call === undefined) {
      call = context.posting.getCreatorInfo(externalId, options);
      calls.set(externalId, call);
    }
    return call;
  };
  // A proxy rather than a copy: the client keeps its state in private fields, so every other method
  // must still run on the real instance.
  const posting = new Proxy(context.posting, {
    get(target, key) {
      if (key === 'getCreatorInfo') return getCreatorInfo;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  const shared: ApiContext = { ...context, posting };
  const refreshed = new Map<string, Promise<AccountRow>>();
  return async (account, post) => {
    let row = refreshed.get(account.id);
    if (row === undefined) {
      const first = preflightCreatorSettings(shared, account, post);
      row = first.then(async () => (await findAccount(context.db.db, account.id)) ?? account);
      refreshed.set(account.id, row);
      return first;
    }
    return preflightCreatorSettings(shared, await row, post);
  };
}
