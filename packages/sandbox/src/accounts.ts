import { accountNumber, profileForAccountKey } from './data';

/**
 * Account keys in one namespace for both APIs: the TikAPI `X-ACCOUNT-KEY` and the posting API's
 * `accountId` name the same account, so expiring `acct_7` breaks both, like a revoked TikTok login.
 */
export class AccountSessions {
  private readonly expired = new Set<string>();

  expire(key: string): void {
    this.expired.add(key);
  }

  restore(key: string): void {
    this.expired.delete(key);
  }

  isExpired(key: string): boolean {
    return this.expired.has(key);
  }

  clear(): void {
    this.expired.clear();
  }
}

/** One entry of `GET /api/content/accounts`, as seed 004 shows it; only the first three are always there. */
export interface ProviderAccount {
  accountId: string;
  display_name: string;
  username: string;
  avatar_url?: string;
  bio_description?: string;
  followers?: number;
  following?: number;
  likes?: number;
  videos?: number;
  is_verified?: boolean;
}

/** Always listed by `GET /api/content/accounts`, so a fresh sandbox has something to pick from. */
export const DEMO_ACCOUNT_IDS = ['acct_100', 'acct_1000', 'acct_100000'] as const;

function usernameFor(accountId: string): string {
  const n = accountNumber(accountId);
  if (n !== null) return `user_${n}`;
  return (
    accountId
      .toLowerCase()
      .replace(/[^a-z0-9_.]/g, '_')
      .slice(0, 24) || 'account'
  );
}

/**
 * The account the sandbox invents for an id nobody described: counts and avatar come from the same
 * profile TikAPI serves for that key, so `acct_100` has 100 followers on both APIs.
 */
export function describeAccount(accountId: string, names: { username?: string; display_name?: string } = {}): ProviderAccount {
  const { user, stats } = profileForAccountKey(accountId);
  return {
    accountId,
    display_name: names.display_name ?? `Sandbox ${accountId}`,
    username: names.username ?? usernameFor(accountId),
    avatar_url: user.avatarThumb,
    bio_description: `Sandbox account ${accountId}`,
    followers: stats.followerCount,
    following: stats.followingCount,
    likes: stats.heartCount,
    videos: stats.videoCount,
    is_verified: user.verified,
  };
}

/**
 * What `GET /api/content/accounts` lists. By default: the demo accounts, then every account that
 * posted or was linked by QR, in first-seen order. Once the admin API replaces the list, exactly
 * that list (plus later QR links), so a test can make an account disappear from the provider.
 */
export class ProviderAccounts {
  private readonly seen = new Map<string, ProviderAccount>();
  private replaced: Map<string, ProviderAccount> | null = null;

  /** An account that posted: listed in the default mode only, because a replaced list is exact. */
  remember(accountId: string): void {
    if (!this.seen.has(accountId)) this.seen.set(accountId, describeAccount(accountId));
  }

  /** An account a QR login confirmed: the provider lists it from now on, in either mode. */
  link(account: ProviderAccount): void {
    (this.replaced ?? this.seen).set(account.accountId, account);
  }

  replace(accounts: readonly ProviderAccount[]): void {
    this.replaced = new Map(accounts.map((account) => [account.accountId, { ...account }]));
  }

  /** The listed entry for an id, if the provider lists it. */
  find(accountId: string): ProviderAccount | null {
    if (this.replaced !== null) return this.replaced.get(accountId) ?? null;
    const seen = this.seen.get(accountId);
    if (seen !== undefined) return seen;
    return (DEMO_ACCOUNT_IDS as readonly string[]).includes(accountId) ? describeAccount(accountId) : null;
  }

  list(): ProviderAccount[] {
    if (this.replaced !== null) return [...this.replaced.values()].map((account) => ({ ...account }));
    const byId = new Map<string, ProviderAccount>(DEMO_ACCOUNT_IDS.map((id) => [id, describeAccount(id)]));
    for (const [id, account] of this.seen) byId.set(id, account);
    return [...byId.values()].map((account) => ({ ...account }));
  }

  clear(): void {
    this.seen.clear();
    this.replaced = null;
  }
}
